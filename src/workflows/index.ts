// Every workflow the worker runs, with its message definitions.
export { preflight } from './preflight';
export { blueGreenDeployment } from './blue-green';
export { rollingDeployment } from './rolling';
export { codeDeployDeployment } from './code-deploy';
export * from './messages';
export { recoverDeployment } from './recover';
export { planDeployment } from './plan';
export { release } from './release';
