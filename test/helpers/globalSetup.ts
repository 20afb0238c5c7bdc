/** Every group's global setup: tests talk only to 127.0.0.1, and DVC sends no analytics. */
export function setup(): void {
  // Keep cloud SDKs away from the metadata address.
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.METADATA_SERVER_DETECTION = 'none';
  process.env.GCE_METADATA_HOST = '127.0.0.1:9';
  process.env.DVC_NO_ANALYTICS = '1';
}
