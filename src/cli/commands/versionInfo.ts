/** Remote schemes this build can talk to. */
export const LINK_PROBE = 'local, http, https, s3, ssh, webdav, webdavs, azure, gs';
