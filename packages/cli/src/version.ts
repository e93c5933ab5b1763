import pkg from '../package.json' with { type: 'json' };

/** This package's version, shown by --version. */
export const VERSION: string = pkg.version;
