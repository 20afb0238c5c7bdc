import { clearReliabilityResults } from './reliabilityDoc.js';
import { dvcBinary, requireTool } from './tools.js';

export function setup(): void {
  requireTool(dvcBinary, 'scripts/ensure-tools.sh');
  // Tests talk only to 127.0.0.1; keep cloud SDKs away from the metadata address.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.METADATA_SERVER_DETECTION = 'none';
  process.env.GCE_METADATA_HOST = '127.0.0.1:9';
  process.env.DVC_NO_ANALYTICS = '1';
  // Figures recorded in this run only; ReliabilityReporter writes the doc from those whose tests passed.
  clearReliabilityResults();
}
