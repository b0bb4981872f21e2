/**
 * The controllers `tsk server` runs, in the order they start. One line per controller; each
 * lives in pkg/controllers/<name>.
 */
import type { ControllerFactory } from './manager.ts';

export const builtinControllers: ControllerFactory[] = [
];
