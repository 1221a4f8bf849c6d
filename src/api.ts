/**
 * Every Airlock route and its types. Components and models call these functions and
 * never build URLs themselves. The types come from `jupyterlab_airlock/openapi.yaml`
 * through `src/openapi.ts` (generated: `jlpm build:types`); the names below keep the
 * frontend's own vocabulary.
 */
import { ServerConnection } from '@jupyterlab/services';

import { AirlockFetchClient, answer, createAirlockFetchClient } from './client';
import { components, operations } from './openapi';

type Schemas = components['schemas'];

/**
 * A mirror profile as configured by the admin (no secrets).
 */
export type IProfile = Schemas['Profile'];
/**
 * Where transferred files arrive: an S3-compatible bucket or a (mounted) folder.
 */
export type IArtifactSource = Schemas['ArtifactSource'];
/**
 * A managed profile by name, or a profile of the user's own (from the settings).
 */
export type ProfileChoice = Schemas['ProfileChoice'];
/**
 * `GET /airlock/profiles` (and the answer to apply and revert).
 */
export type IProfiles = Schemas['Profiles'];
/**
 * One effective setting and the file (or environment) it came from.
 */
export type ISetting = Schemas['Setting'];
/**
 * A setting that would reach outside the mirror.
 */
export type ILeak = Schemas['Leak'];
/**
 * `GET /airlock/profiles/effective`.
 */
export type IEffectiveConfig = Schemas['EffectiveConfig'];
/**
 * The probe of one endpoint of a profile.
 */
export type IProbeResult = Schemas['ProbeResult'];
/**
 * `POST /airlock/profiles/check`.
 */
export type IConnectivity = Schemas['Connectivity'];
/**
 * What one package tool answered when the doctor asked it to reach the mirror.
 */
export type IDoctorResult = Schemas['DoctorResult'];
/**
 * `POST /airlock/profiles/doctor`.
 */
export type IDoctorReport = Schemas['DoctorReport'];
/**
 * The admin's policy, as the server enforces it (read-only: users cannot change it).
 */
export type IPolicy = Schemas['Policy'];
/**
 * A rule of the server for what users type: a pattern and the rule in words.
 */
export type IRule = Schemas['Rule'];
/**
 * `GET /airlock/status`.
 */
export type IStatus = Schemas['Status'];
/**
 * What a file of the source is, as the server tells from its name.
 */
export type ArtifactKind = Schemas['ArtifactKind'];
/**
 * A file's kind and the details its name tells.
 */
export type IArtifactInfo = Schemas['ArtifactInfo'];
/**
 * One file of a listing.
 */
export type IArtifactEntry = Schemas['ArtifactEntry'];
/**
 * A transfer bundle folder (it holds a `bundle.json`), as its description tells.
 */
export type IBundleInfo = Schemas['BundleInfo'];
/**
 * `GET /airlock/artifacts`: one page of one folder of the active profile's source.
 */
export type IArtifactPage = Schemas['ArtifactPage'];
/**
 * `GET /airlock/artifacts/preview`: the first rows of a dataset.
 */
export type IPreview = Schemas['Preview'];
/**
 * What `GET /airlock/artifacts` asks: a folder, a page of it, names it starts with, the
 * kernel to judge packages against.
 */
export type IArtifactQuery = NonNullable<
  operations['listArtifacts']['parameters']['query']
>;
export type JobKind = Schemas['JobKind'];
export type JobState = Schemas['JobState'];
/**
 * A long-running job as the server records it: its `kind` tells the type of its
 * `result` (null until it succeeds).
 */
export type IJob = Schemas['Job'];
export type ICopyJob = Schemas['CopyJob'];
export type IInstallJob = Schemas['InstallJob'];
export type IRollbackJob = Schemas['RollbackJob'];
export type ICreateKernelJob = Schemas['CreateKernelJob'];
export type IRemoveKernelJob = Schemas['RemoveKernelJob'];
/**
 * The `result` of a succeeded copy job.
 */
export type ICopyResult = Schemas['CopyResult'];
/**
 * A kernelspec and the environment behind it (`GET /airlock/kernels`).
 */
export type IKernelEnvironment = Schemas['Kernel'];

/**
 * Who vouches for a file: signed by a trusted signer, checksum only, mismatch, bad
 * signature (and why) or unverified.
 */
export type ITrust = Schemas['Trust'];

/**
 * An advisory of the offline OSV data that affects a package's version.
 */
export type IAdvisory = Schemas['Advisory'];

/**
 * How many of an environment's packages have known advisories, and how current the data is.
 */
export type IAdvisorySummary = Schemas['AdvisorySummary'];
/**
 * What to install and where (`POST /airlock/install/plan`).
 */
export type IInstallRequest = Schemas['InstallRequest'];
/**
 * One package a plan would put into the environment.
 */
export type IInstallStep = Schemas['InstallStep'];
/**
 * What installing would do, before anything changes (`POST /airlock/install/plan`).
 */
export type IInstallPlan = Schemas['InstallPlan'];
/**
 * A bundle of the source, made for a DMZ request, that a plan's packages come from.
 */
export type IDelivery = Schemas['Delivery'];
/**
 * What the air gap asks the DMZ for: the request document (`POST /airlock/requests`).
 */
export type IDmzRequest = Schemas['DmzRequest'];
/**
 * The request written for a plan, where it was stored, and the command for the DMZ.
 */
export type IDmzRequestAnswer = Schemas['DmzRequestAnswer'];
/**
 * The `result` of a succeeded install job.
 */
export type IInstallResult = Schemas['InstallResult'];
/**
 * The `result` of a succeeded roll-back job.
 */
export type IRollbackResult = Schemas['RollbackResult'];
/**
 * What to make a new kernel from (`POST /airlock/kernels/create`).
 */
export type ICreateKernelRequest = Schemas['CreateKernelRequest'];
/**
 * The `result` of a succeeded create-kernel job.
 */
export type ICreateKernelResult = Schemas['CreateKernelResult'];
/**
 * The `result` of a succeeded remove-kernel job.
 */
export type IRemoveKernelResult = Schemas['RemoveKernelResult'];
/**
 * One line of the audit trail, with the inputs of its action besides.
 */
export type IAuditRecord = Schemas['AuditRecord'];
/**
 * `GET /airlock/audit`: the records that match the filters, newest first.
 */
export type IAuditPage = Schemas['AuditPage'];
/**
 * What `GET /airlock/audit` asks: an empty `action` or `user` matches all.
 */
export type IAuditQuery = NonNullable<
  operations['getAudit']['parameters']['query']
>;
/**
 * What `POST /airlock/profiles/doctor` asks.
 */
export type IDoctorRequest = Schemas['DoctorRequest'];
/**
 * `GET /airlock/kernels/{name}/sbom`: a CycloneDX JSON document.
 */
export type ISbom =
  operations['kernelSbom']['responses'][200]['content']['application/json'];

/**
 * The Airlock REST API, one method per operation of the spec (the calls are checked
 * against it by the compiler: see `client.ts`).
 */
export class AirlockClient {
  constructor(readonly serverSettings: ServerConnection.ISettings) {
    this._api = createAirlockFetchClient(serverSettings);
  }

  getStatus(): Promise<IStatus> {
    return answer(this._api.GET('/status'));
  }

  getProfiles(): Promise<IProfiles> {
    return answer(this._api.GET('/profiles'));
  }

  applyProfile(choice: ProfileChoice): Promise<IProfiles> {
    return answer(this._api.POST('/profiles/apply', { body: choice }));
  }

  revertProfile(): Promise<IProfiles> {
    return answer(this._api.POST('/profiles/revert'));
  }

  getEffectiveConfig(): Promise<IEffectiveConfig> {
    return answer(this._api.GET('/profiles/effective'));
  }

  /**
   * One page of a folder of the active source.
   */
  listArtifacts(query: IArtifactQuery): Promise<IArtifactPage> {
    return answer(this._api.GET('/artifacts', { params: { query } }));
  }

  previewArtifact(key: string): Promise<IPreview> {
    return answer(
      this._api.GET('/artifacts/preview', { params: { query: { key } } })
    );
  }

  /**
   * Copy an object into the workspace (a path relative to the Jupyter root) as a job.
   */
  copyArtifact(
    key: string,
    destination: string,
    overwrite = false
  ): Promise<ICopyJob> {
    return answer(
      this._api.POST('/artifacts/copy', {
        body: { key, destination, overwrite }
      })
    );
  }

  /**
   * Make a new environment and kernelspec from a bundle or an environment archive, as a
   * job. A 409 answer means the kernel name is taken.
   */
  createKernel(request: ICreateKernelRequest): Promise<ICreateKernelJob> {
    return answer(this._api.POST('/kernels/create', { body: request }));
  }

  /**
   * Remove a kernel Airlock made (its kernelspec and its environment), as a job.
   */
  removeKernel(name: string): Promise<IRemoveKernelJob> {
    return answer(
      this._api.DELETE('/kernels/{name}', { params: { path: { name } } })
    );
  }

  /**
   * The audit trail, newest first.
   */
  getAudit(query: IAuditQuery = {}): Promise<IAuditPage> {
    return answer(this._api.GET('/audit', { params: { query } }));
  }

  /**
   * The CycloneDX JSON SBOM of a kernel's environment.
   */
  kernelSbom(name: string): Promise<ISbom> {
    return answer(
      this._api.GET('/kernels/{name}/sbom', { params: { path: { name } } })
    );
  }

  async listKernels(): Promise<IKernelEnvironment[]> {
    return (await answer(this._api.GET('/kernels'))).kernels;
  }

  /**
   * Every job the server knows, newest first, each with the tail of its log.
   */
  async listJobs(): Promise<IJob[]> {
    return (await answer(this._api.GET('/jobs'))).jobs;
  }

  /**
   * What installing into a kernel would do; nothing changes yet.
   */
  planInstall(request: IInstallRequest): Promise<IInstallPlan> {
    return answer(this._api.POST('/install/plan', { body: request }));
  }

  /**
   * Write the DMZ request for what a plan lacks (stored where the admin said). A 404
   * answer means: plan again; a 409 one, that the plan lacks nothing.
   */
  requestFromDmz(planId: string): Promise<IDmzRequestAnswer> {
    return answer(this._api.POST('/requests', { body: { plan: planId } }));
  }

  /**
   * Carry out a plan as a job. A 404 or 409 answer means: plan again.
   */
  install(planId: string): Promise<IInstallJob> {
    return answer(this._api.POST('/install', { body: { plan: planId } }));
  }

  /**
   * Undo a succeeded install job, as a job of its own.
   */
  rollback(jobId: string): Promise<IRollbackJob> {
    return answer(
      this._api.POST('/install/rollback', { body: { job: jobId } })
    );
  }

  getJob(id: string): Promise<IJob> {
    return answer(
      this._api.GET('/jobs/{job_id}', { params: { path: { job_id: id } } })
    );
  }

  cancelJob(id: string): Promise<IJob> {
    return answer(
      this._api.DELETE('/jobs/{job_id}', { params: { path: { job_id: id } } })
    );
  }

  /**
   * Probe the endpoints of a profile; the active one when no choice is given.
   */
  checkProfile(choice?: ProfileChoice): Promise<IConnectivity> {
    return answer(this._api.POST('/profiles/check', { body: choice ?? {} }));
  }

  /**
   * Ask pip, uv, conda and npm to reach the active profile's mirror.
   */
  runDoctor(request: IDoctorRequest = {}): Promise<IDoctorReport> {
    return answer(this._api.POST('/profiles/doctor', { body: request }));
  }

  private readonly _api: AirlockFetchClient;
}
