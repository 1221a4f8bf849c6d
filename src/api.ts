/**
 * Every Airlock route and its types. Components and models call these functions and
 * never build URLs themselves. The server side is described in
 * `jupyterlab_airlock/openapi.yaml`.
 */
import { ServerConnection } from '@jupyterlab/services';

import { requestAPI } from './request';

/**
 * A mirror profile as configured by the admin (no secrets: credentials come from the
 * AWS credential chain on the server).
 */
export interface IProfile {
  name: string;
  description?: string;
  pip?: {
    'index-url'?: string;
    'extra-index-url'?: string[];
    'trusted-host'?: string[];
  };
  conda?: { channels?: string[] };
  proxy?: { http?: string; https?: string; no_proxy?: string[] };
  npm?: { registry?: string };
  source?: IArtifactSource;
}

/**
 * Where transferred files arrive: an S3-compatible bucket or a (mounted) folder.
 */
export interface IArtifactSource {
  kind?: 's3' | 'folder';
  endpoint_url?: string;
  bucket?: string;
  prefix?: string;
  region?: string;
  path?: string;
}

/**
 * `GET /airlock/status`.
 */
export interface IStatus {
  version: string;
  active_profile: IProfile | null;
  profiles: string[];
  problems: string[];
}

/**
 * The typed client of the Airlock REST API.
 */
export class AirlockClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  getStatus(): Promise<IStatus> {
    return requestAPI<IStatus>('status', this.serverSettings);
  }
}
