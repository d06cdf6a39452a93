export { createEngine, type Engine, type EngineOptions } from './engine';
export { replayRun } from './dead-letters';
export { ingestEvents, type IngestResult } from './ingest';
export { UnsupportedFunctionError } from './function-config';
export { signRequestBody, hashedSigningKey } from './signing';
