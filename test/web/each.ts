import { forgetLastPush } from '../../src/lib/routes'

// Each test starts on a page no one has just tapped away from: the double-tap guard's last push
// is module state, and a test's navigation must not swallow the next test's.
beforeEach(() => forgetLastPush())
