import { supportedSchemes } from '../../core/4-storage/registry.js';

/** Remote schemes this build can talk to, as the storage backends declare them. */
export const LINK_PROBE = supportedSchemes().join(', ');
