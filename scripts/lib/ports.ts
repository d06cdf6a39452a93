import net from 'node:net';

/**
 * True when nothing listens on host:port (we can bind it ourselves). With `host` undefined it
 * binds every interface, which also collides with a server listening on just one of them.
 */
export function isPortFree(port: number, host?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
