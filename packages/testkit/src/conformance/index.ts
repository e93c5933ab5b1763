export * from './backend-suite';
export * from './cache-suite';
