// What a task definition needs to run on Fargate (awsvpc, task-level cpu and memory in a size Fargate
// offers): the blue/green fixtures run there, as the demo does.
import { launchOf } from '../../src/shared/launch';

export const fargate = { requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512' };
export const fargateLaunch = launchOf({ ...fargate, containerDefinitions: [] });
