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
  ca_bundle?: string;
  offline?: boolean;
  pip?: {
    'index-url'?: string;
    'extra-index-url'?: string[];
    'trusted-host'?: string[];
    timeout?: number;
  };
  conda?: {
    channels?: string[];
    channel_alias?: string;
    custom_channels?: { [name: string]: string };
    default_channels?: string[];
    ssl_verify?: boolean;
  };
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
  aws_profile?: string;
  path?: string;
}

/**
 * A managed profile by name, or a profile of the user's own (from the settings).
 */
export type ProfileChoice = { name: string } | { profile: IProfile };

/**
 * `GET /airlock/profiles` (and the answer to apply and revert).
 */
export interface IProfiles {
  managed: IProfile[];
  default: string | null;
  locked: boolean;
  active: IProfile | null;
  can_revert: boolean;
  problems: string[];
  /**
   * For each managed profile, what would reach outside the mirror.
   */
  leaks: { [name: string]: ILeak[] };
}

/**
 * One effective setting and the file (or environment) it came from.
 */
export interface ISetting {
  key: string;
  value: string;
  source: string;
}

/**
 * A setting that would reach outside the mirror.
 */
export interface ILeak extends ISetting {
  tool: string;
  message: string;
}

/**
 * `GET /airlock/profiles/effective`.
 */
export interface IEffectiveConfig {
  effective: {
    pip: ISetting[];
    conda: ISetting[];
    npm: ISetting[];
    environment: ISetting[];
  };
  leaks: ILeak[];
}

/**
 * The probe of one endpoint of a profile.
 */
export interface IProbeResult {
  endpoint: string;
  url: string;
  ok: boolean;
  status: number | null;
  latency_ms: number | null;
  cause: string | null;
}

/**
 * `POST /airlock/profiles/check`.
 */
export interface IConnectivity {
  profile: string;
  results: IProbeResult[];
}

/**
 * The admin's policy, as the server enforces it (read-only: users cannot change it).
 */
export interface IPolicy {
  /**
   * When a list, only these packages may come in (requirements such as `numpy>=1.26`).
   */
  allow: string[] | null;
  /**
   * Packages that never come in.
   */
  deny: string[];
  /**
   * Every installed file must have a sha256 listed in a manifest of the source.
   */
  require_verified: boolean;
  /**
   * When a list, the only artifact sources profiles may use.
   */
  allowed_sources: IArtifactSource[] | null;
  /**
   * The largest copy out of the source, in bytes (null: no limit).
   */
  max_copy_bytes: number | null;
  allow_system_installs: boolean;
  /**
   * Why the policy could not be read (file and line); while set, every install and
   * copy is refused.
   */
  broken: string | null;
}

/**
 * `GET /airlock/status`.
 */
export interface IStatus {
  version: string;
  active_profile: IProfile | null;
  profiles: string[];
  problems: string[];
  /**
   * Absent from servers older than the policy.
   */
  policy?: IPolicy;
  /**
   * What the server fetched from artifact sources since it started: whole files into
   * its cache, and ranged reads of wheels' metadata.
   */
  transfers?: {
    files: number;
    bytes: number;
    ranged_reads: number;
    ranged_bytes: number;
  };
}

/**
 * What a file of the read bucket is, recognised from its name.
 */
export interface IArtifactInfo {
  kind:
    | 'wheel'
    | 'sdist'
    | 'conda'
    | 'env-archive'
    | 'dataset'
    | 'manifest'
    | 'other';
  name?: string;
  version?: string;
  build?: string;
  format?: string;
  tags?: string[];
  problem?: string;
}

/**
 * One file of a listing.
 */
export interface IArtifactEntry {
  key: string;
  name: string;
  size: number;
  modified: string | null;
  artifact: IArtifactInfo;
  /**
   * `verified`, `mismatch`, `listed` (in a manifest, not hashed yet) or `not-listed`.
   */
  checksum: string;
  sha256: string | null;
  /**
   * Whether a wheel or conda package fits the chosen kernel (null: not a package).
   */
  fit: { fits: boolean | null; reason: string | null } | null;
  /**
   * Whether the admin's policy lets a package in, and why not (null: not a package;
   * absent from servers older than the policy).
   */
  policy?: { allowed: boolean; reason: string | null } | null;
}

/**
 * A transfer bundle folder (it holds a `bundle.json`), as its description tells.
 */
export interface IBundleInfo {
  /**
   * The folder's key, ending in '/'.
   */
  key: string;
  name?: string;
  python_version?: string | null;
  platform?: string | null;
  requirements?: string[];
  /**
   * How many package files it holds.
   */
  files?: number;
  /**
   * Why its `bundle.json` cannot be read (then the other fields are absent).
   */
  problem?: string;
}

/**
 * `GET /airlock/artifacts`: one page of one folder of the active profile's source.
 */
export interface IArtifactPage {
  source: string;
  prefix: string;
  folders: string[];
  entries: IArtifactEntry[];
  next_token: string | null;
  manifests: string[];
  /**
   * Set when the folder is a transfer bundle (absent from older servers).
   */
  bundle?: IBundleInfo | null;
}

/**
 * `GET /airlock/artifacts/preview`: the first rows of a dataset.
 */
export interface IPreview {
  key: string;
  format: string;
  columns: string[];
  rows: string[][];
  truncated: boolean;
  note: string | null;
  /**
   * Python that reads this object in a notebook, straight from the source.
   */
  snippet: string;
}

/**
 * A long-running job (a copy, an install) as the server records it.
 */
export interface IJob {
  id: string;
  kind: string;
  title: string;
  queue: string;
  state:
    'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  progress: number | null;
  log: string[];
  created: string;
  finished: string | null;
  result: { [key: string]: any } | null;
  error: { code: string; message: string } | null;
}

/**
 * A kernelspec and the environment behind it (`GET /airlock/kernels`).
 */
export interface IKernelEnvironment {
  name: string;
  display_name: string;
  language: string;
  python?: string;
  version?: string;
  prefix?: string;
  kind?: 'venv' | 'conda' | 'system';
  writable?: boolean;
  why_not_writable?: string | null;
  advice?: string | null;
  packages?: { name: string; version: string; installer: string | null }[];
  error?: { code: string; message: string };
}

/**
 * What to install and where (`POST /airlock/install/plan`): requirements such as
 * `pandas>=2`, keys of artifacts in the active source, and files of the workspace (paths
 * relative to the Jupyter root). At least one of them is not empty.
 */
export interface IInstallRequest {
  kernel: string;
  requirements?: string[];
  keys?: string[];
  paths?: string[];
}

/**
 * One package a plan would put into the environment.
 */
export interface IInstallStep {
  name: string;
  version: string;
  action: 'install' | 'upgrade' | 'downgrade' | 'reinstall';
  /**
   * The version installed now, if any.
   */
  installed: string | null;
  kind: 'wheel' | 'sdist' | 'conda';
  file: string;
  size: number | null;
  sha256: string | null;
  /**
   * Its sha256 is listed in a manifest of the source.
   */
  verified: boolean;
  /**
   * The user asked for it (else it is a dependency).
   */
  requested: boolean;
}

/**
 * What installing would do, before anything changes (`POST /airlock/install/plan`).
 * Messages are plain words for the user.
 */
export interface IInstallPlan {
  /**
   * The plan to carry out with `install`; valid for a limited time.
   */
  id: string;
  kernel: string;
  display_name: string;
  environment: {
    prefix: string;
    kind: 'venv' | 'conda' | 'system';
    python_version: string;
  };
  steps: IInstallStep[];
  missing: { requirement: string; needed_by: string | null; message: string }[];
  refused: { item: string; message: string }[];
  /**
   * Whether the plan can be carried out (else `missing` and `refused` say why).
   */
  ok: boolean;
  summary: string;
}

/**
 * The `result` of a succeeded install job.
 */
export interface IInstallResult {
  kernel: string;
  prefix: string;
  changes: {
    name: string;
    version: string | null;
    previous: string | null;
    action: string;
  }[];
  /**
   * The kernelspecs that share the environment.
   */
  kernels: string[];
  can_roll_back: boolean;
}

/**
 * What to make a new kernel from (`POST /airlock/kernels/create`).
 */
export interface ICreateKernelRequest {
  /**
   * A bundle folder (ending in '/') or an environment archive of the active source.
   */
  key: string;
  /**
   * The kernelspec's name: lower-case letters, digits, '.', '_' and '-'.
   */
  name: string;
  /**
   * What the launcher shows.
   */
  display_name: string;
}

/**
 * The `result` of a succeeded create-kernel job.
 */
export interface ICreateKernelResult {
  kernel: string;
  display_name: string;
  prefix: string;
}

/**
 * One line of the audit trail. Besides these, each action records its inputs (kernel,
 * prefix, key, destination, profile, files with their sha256...).
 */
export interface IAuditRecord {
  time: string;
  user: string;
  action: string;
  result: string;
  [input: string]: unknown;
}

/**
 * `GET /airlock/audit`: the records that match the filters, newest first, and every
 * action and user of the whole trail (to filter by).
 */
export interface IAuditPage {
  records: IAuditRecord[];
  /**
   * How many records match (more than `records` holds when the limit cut them).
   */
  total: number;
  actions: string[];
  users: string[];
}

/**
 * The typed client of the Airlock REST API.
 */
export class AirlockClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {}

  getStatus(): Promise<IStatus> {
    return requestAPI<IStatus>('status', this.serverSettings);
  }

  getProfiles(): Promise<IProfiles> {
    return requestAPI<IProfiles>('profiles', this.serverSettings);
  }

  applyProfile(choice: ProfileChoice): Promise<IProfiles> {
    return requestAPI<IProfiles>('profiles/apply', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify(choice)
    });
  }

  revertProfile(): Promise<IProfiles> {
    return requestAPI<IProfiles>('profiles/revert', this.serverSettings, {
      method: 'POST'
    });
  }

  getEffectiveConfig(): Promise<IEffectiveConfig> {
    return requestAPI<IEffectiveConfig>(
      'profiles/effective',
      this.serverSettings
    );
  }

  /**
   * One page of a folder of the active source. `filter` narrows by the start of names.
   */
  listArtifacts(options: {
    prefix?: string;
    cursor?: string | null;
    filter?: string;
    kernel?: string | null;
    limit?: number;
  }): Promise<IArtifactPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && value !== null && value !== '') {
        query.set(name, String(value));
      }
    }
    return requestAPI<IArtifactPage>(
      `artifacts?${query.toString()}`,
      this.serverSettings
    );
  }

  previewArtifact(key: string): Promise<IPreview> {
    const query = new URLSearchParams({ key });
    return requestAPI<IPreview>(
      `artifacts/preview?${query.toString()}`,
      this.serverSettings
    );
  }

  /**
   * Copy an object into the workspace (a path relative to the Jupyter root) as a job.
   */
  copyArtifact(
    key: string,
    destination: string,
    overwrite = false
  ): Promise<IJob> {
    return requestAPI<IJob>('artifacts/copy', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify({ key, destination, overwrite })
    });
  }

  /**
   * Make a new environment and kernelspec from a bundle or an environment archive, as a
   * job. A 409 answer means the kernel name is taken.
   */
  createKernel(request: ICreateKernelRequest): Promise<IJob> {
    return requestAPI<IJob>('kernels/create', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  /**
   * The audit trail, newest first; an empty `action` or `user` matches all.
   */
  getAudit(
    options: { action?: string; user?: string; limit?: number } = {}
  ): Promise<IAuditPage> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(options)) {
      if (value !== undefined && value !== '') {
        query.set(name, String(value));
      }
    }
    return requestAPI<IAuditPage>(
      `audit?${query.toString()}`,
      this.serverSettings
    );
  }

  async listKernels(): Promise<IKernelEnvironment[]> {
    const answer = await requestAPI<{ kernels: IKernelEnvironment[] }>(
      'kernels',
      this.serverSettings
    );
    return answer.kernels;
  }

  /**
   * Every job the server knows, newest first, each with the tail of its log.
   */
  async listJobs(): Promise<IJob[]> {
    const answer = await requestAPI<{ jobs: IJob[] }>(
      'jobs',
      this.serverSettings
    );
    return answer.jobs;
  }

  /**
   * What installing into a kernel would do; nothing changes yet.
   */
  planInstall(request: IInstallRequest): Promise<IInstallPlan> {
    return requestAPI<IInstallPlan>('install/plan', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify(request)
    });
  }

  /**
   * Carry out a plan as a job. A 404 or 409 answer means: plan again.
   */
  install(planId: string): Promise<IJob> {
    return requestAPI<IJob>('install', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify({ plan: planId })
    });
  }

  /**
   * Undo a succeeded install job, as a job of its own.
   */
  rollback(jobId: string): Promise<IJob> {
    return requestAPI<IJob>('install/rollback', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify({ job: jobId })
    });
  }

  getJob(id: string): Promise<IJob> {
    return requestAPI<IJob>(
      `jobs/${encodeURIComponent(id)}`,
      this.serverSettings
    );
  }

  cancelJob(id: string): Promise<IJob> {
    return requestAPI<IJob>(
      `jobs/${encodeURIComponent(id)}`,
      this.serverSettings,
      {
        method: 'DELETE'
      }
    );
  }

  /**
   * Probe the endpoints of a profile; the active one when no choice is given.
   */
  checkProfile(choice?: ProfileChoice): Promise<IConnectivity> {
    return requestAPI<IConnectivity>('profiles/check', this.serverSettings, {
      method: 'POST',
      body: JSON.stringify(choice ?? {})
    });
  }
}
