import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { UseSignal } from '@jupyterlab/ui-components';

import { ActivitySection } from './components/ActivitySection';
import { ArtifactsPane } from './components/AirlockPanel';
import { EnvironmentsView } from './components/EnvironmentsView';
import { JobsSection } from './components/JobsSection';
import { AirlockModel } from './model';
import { AirlockViewName } from './tokens';
import { AirlockView } from './widget';

/**
 * The content and tab label of a main-area view: the sidebar's section with the room
 * for its tables and logs.
 */
export function viewContent(
  name: AirlockViewName,
  model: AirlockModel,
  trans: TranslationBundle,
  kernel: string | null,
  onOpen: (path: string) => void
): { label: string; content: AirlockView<{ kernel: string | null }> } {
  const views: {
    [view in AirlockViewName]: [string, (kernel: string | null) => JSX.Element];
  } = {
    artifacts: [
      trans.__('Artifacts'),
      () => (
        <UseSignal signal={model.stateChanged}>
          {() => (
            <div className="jp-Airlock-view jp-Airlock-artifactsView">
              <h2 className="jp-Airlock-title">{trans.__('Artifacts')}</h2>
              <ArtifactsPane model={model} trans={trans} onOpen={onOpen} wide />
            </div>
          )}
        </UseSignal>
      )
    ],
    environments: [
      trans.__('Environments'),
      shown => <EnvironmentsView model={model} trans={trans} kernel={shown} />
    ],
    jobs: [
      trans.__('Airlock Jobs'),
      () => (
        <div className="jp-Airlock-view">
          <h2 className="jp-Airlock-title">{trans.__('Jobs')}</h2>
          <JobsSection model={model.jobs} trans={trans} />
        </div>
      )
    ],
    activity: [
      trans.__('Airlock Activity'),
      () => (
        <div className="jp-Airlock-view">
          <h2 className="jp-Airlock-title">{trans.__('Activity')}</h2>
          <ActivitySection model={model.activity} trans={trans} />
        </div>
      )
    ]
  };
  const [label, render] = views[name];
  return {
    label,
    content: new AirlockView({ kernel }, props => render(props.kernel))
  };
}
