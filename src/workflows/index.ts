// Every workflow the worker runs, with its message definitions.
export { preflight } from './preflight';
