// Set-up file of the groups that compare with real DVC (oracle, compat): without DVC each of
// their test files fails, never skips.
import { dvcBinary, requireTool } from './tools.js';

requireTool(dvcBinary, 'scripts/ensure-tools.sh');
