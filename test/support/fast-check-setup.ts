import { configureFromEnv, installStopping, stopProperties, timeoutFor } from './property';

// FC_SEED, FC_PATH and FC_RUNS for every property of the file (test/support/property.ts)
configureFromEnv();
installStopping();

// A property whose test timed out or failed early is stopped, and awaited, before the next test starts.
afterEach(() => stopProperties(), timeoutFor(120_000));
