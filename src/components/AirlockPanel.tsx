import { TranslationBundle } from '@jupyterlab/translation';
import {
  Button,
  launchIcon,
  refreshIcon,
  ToolbarButtonComponent,
  UseSignal
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { versionProblem } from '../handshake';
import { AirlockViewName, USER_GUIDE_URL } from '../tokens';
import { AirlockModel } from '../model';
import { ActivitySection } from './ActivitySection';
import { ArtifactsSection } from './artifacts';
import { createKernelAsking } from './CreateKernelDialog';
import { FirstRunGuide } from './Guide';
import { JobsSection } from './JobsSection';
import { KernelsSection, removeKernelAsking } from './KernelsSection';
import { MirrorSection } from './MirrorSection';
import { brokenMessage, PolicySection } from './PolicySection';

/**
 * Properties of the Airlock panel.
 */
export interface IAirlockPanelProps {
  model: AirlockModel;
  trans: TranslationBundle;
  /**
   * Open a file of the workspace (a copied dataset).
   */
  onOpen: (path: string) => void;
  /**
   * Open a main-area view (the Environments view at a kernel).
   */
  onOpenView: (view: AirlockViewName, kernel?: string) => void;
  /**
   * Show the first-run guide (until the user dismisses it).
   */
  guide?: boolean;
  onDismissGuide?: () => void;
}

/**
 * The Airlock side panel: status, then the Mirror, Artifacts, Kernels and Jobs sections,
 * and (closed at first) the Activity and Policy sections.
 */
export function AirlockPanel(props: IAirlockPanelProps): JSX.Element {
  const { model, trans, onOpen, onOpenView, guide, onDismissGuide } = props;
  return (
    <UseSignal signal={model.stateChanged}>
      {() => (
        <div className="jp-Airlock-panel">
          {/* Not a <header>: one banner landmark per page, JupyterLab's top bar. */}
          <div className="jp-Airlock-header">
            <h2 className="jp-Airlock-title">{trans.__('Airlock')}</h2>
            <span className="jp-Airlock-version" data-testid="airlock-version">
              {model.status
                ? trans.__('server %1', model.status.version)
                : model.loading
                  ? trans.__('connecting…')
                  : ''}
            </span>
            <a
              className="jp-Airlock-link jp-Airlock-help"
              href={USER_GUIDE_URL}
              target="_blank"
              rel="noopener noreferrer"
              title={trans.__('The user guide, in a new browser tab')}
            >
              {trans.__('Help')}
            </a>
            <ToolbarButtonComponent
              icon={refreshIcon}
              tooltip={trans.__('Refresh')}
              enabled={!model.loading}
              onClick={() => void model.refresh()}
            />
          </div>
          {guide && (
            <FirstRunGuide trans={trans} onDismiss={() => onDismissGuide?.()} />
          )}
          {model.error && (
            <div className="jp-Airlock-error" role="alert">
              {model.error}
            </div>
          )}
          {model.status && (
            <VersionMismatch version={model.status.version} trans={trans} />
          )}
          {model.status?.policy?.broken && (
            <div
              className="jp-Airlock-error"
              role="alert"
              data-testid="airlock-policy-broken"
            >
              {brokenMessage(model.status.policy, trans)}
            </div>
          )}
          {model.status?.problems.map(problem => (
            <div key={problem} className="jp-Airlock-warning" role="status">
              {problem}
            </div>
          ))}
          <Section title={trans.__('Mirror')} id="mirror">
            <MirrorSection model={model.profiles} trans={trans} />
          </Section>
          <Section title={trans.__('Artifacts')} id="artifacts">
            <OpenView
              label={trans.__('Open Artifacts in a tab')}
              onClick={() => onOpenView('artifacts')}
            />
            <ArtifactsPane model={model} trans={trans} onOpen={onOpen} />
          </Section>
          <Section title={trans.__('Kernels')} id="kernels">
            <OpenView
              label={trans.__('Open Environments in a tab')}
              onClick={() => onOpenView('environments')}
            />
            <KernelsSection
              onRemove={kernel => void removeKernelAsking(model, kernel, trans)}
              environments={model.environments}
              kernels={model.kernels}
              trans={trans}
              onOpen={kernel => onOpenView('environments', kernel)}
            />
          </Section>
          <Section title={trans.__('Jobs')} id="jobs">
            <OpenView
              label={trans.__('Open Jobs in a tab')}
              onClick={() => onOpenView('jobs')}
            />
            <JobsSection model={model.jobs} trans={trans} />
          </Section>
          <Section title={trans.__('Activity')} id="activity" closed>
            <OpenView
              label={trans.__('Open Activity in a tab')}
              onClick={() => onOpenView('activity')}
            />
            <ActivitySection model={model.activity} trans={trans} />
          </Section>
          <Section title={trans.__('Policy')} id="policy" closed>
            <PolicySection policy={model.status?.policy} trans={trans} />
          </Section>
        </div>
      )}
    </UseSignal>
  );
}

/**
 * What to do when the server part is another version than this page, or nothing.
 */
function VersionMismatch(props: {
  version: string;
  trans: TranslationBundle;
}): JSX.Element | null {
  const problem = versionProblem(props.version, props.trans);
  return problem === null ? null : (
    <div
      className="jp-Airlock-error"
      role="alert"
      data-testid="airlock-version-mismatch"
    >
      {problem}
    </div>
  );
}

/**
 * The artifact browser of the active profile's source, in the sidebar or in its tab.
 */
export function ArtifactsPane(props: {
  model: AirlockModel;
  trans: TranslationBundle;
  onOpen: (path: string) => void;
  /**
   * In the main area: the folder as a sortable table.
   */
  wide?: boolean;
}): JSX.Element {
  const { model, trans, onOpen, wide } = props;
  return model.profiles.state?.active?.source ? (
    <ArtifactsSection
      model={model.artifacts}
      jobs={model.jobs}
      kernels={model.kernels}
      bundle={model.bundle}
      trans={trans}
      onOpen={onOpen}
      onInstall={keys =>
        model.requestInstall({ keys, kernel: model.artifacts.kernel })
      }
      onCreateKernel={origin => void createKernelAsking(model, origin, trans)}
      wide={wide}
    />
  ) : (
    <p className="jp-Airlock-empty">
      {trans.__('The active profile names no artifact source.')}
    </p>
  );
}

/**
 * The link from a section to its main-area view, with room for the work.
 */
function OpenView(props: { label: string; onClick: () => void }): JSX.Element {
  return (
    <Button
      small
      minimal
      className="jp-Airlock-openView"
      title={props.label}
      onClick={props.onClick}
    >
      <launchIcon.react tag="span" />
      {props.label}
    </Button>
  );
}

function Section(props: {
  title: string;
  id: string;
  /**
   * Closed until the user opens it (for what is looked at now and then).
   */
  closed?: boolean;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <details
      className="jp-Airlock-section"
      data-section={props.id}
      open={!props.closed}
      aria-label={props.title}
    >
      <summary className="jp-Airlock-sectionTitle">{props.title}</summary>
      <div className="jp-Airlock-sectionBody">{props.children}</div>
    </details>
  );
}
