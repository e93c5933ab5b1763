import pkg from '../package.json' with { type: 'json' };

/** This package's version, shown by /info, /openapi.json and --version. */
export const VERSION: string = pkg.version;
