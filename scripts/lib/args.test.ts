import { describe, expect, it } from 'vitest';
import { parseAdminCommand } from './admin-commands';
import { UsageError, parseStartArgs } from './args';
import { resolveDataDir, resolveDistDir, resolveEmbeddedPgPort, resolveEnginePort, resolveFunctionsServer } from './paths';

describe('parseStartArgs', () => {
  it('defaults to production mode and accepts --dev', () => {
    expect(parseStartArgs([])).toEqual({ dev: false, help: false });
    expect(parseStartArgs(['--dev'])).toEqual({ dev: true, help: false });
    expect(parseStartArgs(['-h']).help).toBe(true);
  });

  it('rejects unknown options and arguments', () => {
    expect(() => parseStartArgs(['--prod'])).toThrow(UsageError);
    expect(() => parseStartArgs(['now'])).toThrow(/Unexpected argument: now/);
  });
});

describe('parseAdminCommand', () => {
  it('parses merchants create and list', () => {
    expect(parseAdminCommand(['merchants', 'create', '--name', 'Acme', '--email', 'a@b.co', '--json'])).toEqual({
      kind: 'merchants-create',
      name: 'Acme',
      email: 'a@b.co',
      json: true,
    });
    expect(parseAdminCommand(['merchants', 'create', '--name=Acme Ltd', '--email=a@b.co'])).toMatchObject({
      name: 'Acme Ltd',
      json: false,
    });
    expect(parseAdminCommand(['merchants', 'list'])).toEqual({ kind: 'merchants-list', json: false });
    expect(parseAdminCommand(['merchants', 'list', '--json'])).toEqual({ kind: 'merchants-list', json: true });
  });

  it('recognises help in its forms', () => {
    expect(parseAdminCommand(['help'])).toEqual({ kind: 'help' });
    expect(parseAdminCommand(['--help'])).toEqual({ kind: 'help' });
    expect(parseAdminCommand(['merchants', 'create', '-h'])).toEqual({ kind: 'help' });
  });

  it.each([
    [[], /No command given/],
    [['payments'], /Unknown command: payments/],
    [['merchants'], /needs a subcommand/],
    [['merchants', 'delete'], /Unknown merchants subcommand: delete/],
    [['merchants', 'create', '--email', 'a@b.co'], /Missing required option --name/],
    [['merchants', 'create', '--name', 'Acme'], /Missing required option --email/],
    [['merchants', 'create', '--name', '', '--email', 'a@b.co'], /--name/],
    [['merchants', 'create', '--name', 'A', '--email', 'a@b.co', '--color', 'red'], /--color/],
    [['merchants', 'create', '--name'], /--name/],
    [['merchants', 'list', '--name', 'A'], /does not apply/],
    [['merchants', 'list', 'extra'], /Unexpected argument: extra/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseAdminCommand(argv)).toThrow(UsageError);
    expect(() => parseAdminCommand(argv)).toThrow(message);
  });
});

describe('paths from the environment', () => {
  it('resolves the data dir and dist dir relative to the repo root unless absolute', () => {
    expect(resolveDataDir({}, '/repo')).toBe('/repo/.data');
    expect(resolveDataDir({ PAYKIT_DATA_DIR: 'var/pk' }, '/repo')).toBe('/repo/var/pk');
    expect(resolveDataDir({ PAYKIT_DATA_DIR: '/srv/pk' }, '/repo')).toBe('/srv/pk');
    expect(resolveDistDir({}, '/repo')).toBe('/repo/.next');
    expect(resolveDistDir({ NEXT_DIST_DIR: '.next-e2e' }, '/repo')).toBe('/repo/.next-e2e');
  });

  it('reads EMBEDDED_PG_PORT, defaulting to 54329', () => {
    expect(resolveEmbeddedPgPort({})).toBe(54329);
    expect(resolveEmbeddedPgPort({ EMBEDDED_PG_PORT: '6000' })).toBe(6000);
    expect(() => resolveEmbeddedPgPort({ EMBEDDED_PG_PORT: 'abc' })).toThrow(/EMBEDDED_PG_PORT/);
    expect(() => resolveEmbeddedPgPort({ EMBEDDED_PG_PORT: '70000' })).toThrow(/EMBEDDED_PG_PORT/);
  });

  it('reads ENGINE_PORT, defaulting to 8288', () => {
    expect(resolveEnginePort({})).toBe(8288);
    expect(resolveEnginePort({ ENGINE_PORT: '8300' })).toBe(8300);
    expect(() => resolveEnginePort({ ENGINE_PORT: '0' })).toThrow(/ENGINE_PORT must be a port number/);
  });

  it('reads FUNCTIONS_SERVER (on unless off) and FUNCTIONS_PORT (picked at start when unset)', () => {
    expect(resolveFunctionsServer({})).toEqual({ enabled: true, port: undefined });
    expect(resolveFunctionsServer({ FUNCTIONS_SERVER: ' OFF ' })).toEqual({ enabled: false, port: undefined });
    expect(resolveFunctionsServer({ FUNCTIONS_SERVER: 'on', FUNCTIONS_PORT: '3201' })).toEqual({ enabled: true, port: 3201 });
    expect(() => resolveFunctionsServer({ FUNCTIONS_SERVER: 'maybe' })).toThrow(/FUNCTIONS_SERVER must be on or off, got "maybe"/);
    expect(() => resolveFunctionsServer({ FUNCTIONS_PORT: '3.5' })).toThrow(/FUNCTIONS_PORT must be a port number/);
  });
});
