/** Validation primitives shared by every resource's strategy. */
export * from './path.ts';
export * from './names.ts';
export * from './network.ts';
export * from './quantity.ts';
export * from './meta.ts';
