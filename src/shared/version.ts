/** Generator version written into rendered DAG headers and the manifest. Bump with package.json. */
export const VERSION = '0.1.0';
export const GENERATOR = `backtest-gitops ${VERSION}`;
