import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { USER_GUIDE_URL } from '../tokens';

/**
 * A few lines for the first time the panel opens: what each section is for, the user
 * guide, and Got it (not shown again).
 */
export function FirstRunGuide(props: {
  trans: TranslationBundle;
  onDismiss: () => void;
}): JSX.Element {
  const { trans, onDismiss } = props;
  return (
    <section
      className="jp-Airlock-guide"
      aria-label={trans.__('Getting started')}
      data-testid="airlock-guide"
    >
      <strong>{trans.__('Getting started')}</strong>
      <ol>
        <li>
          {trans.__(
            'Mirror: the profile says where pip, conda and npm get packages; ✓ when it answers.'
          )}
        </li>
        <li>
          {trans.__(
            'Artifacts: what came through the air gap. Tick packages to install them into a kernel, or copy a file into your workspace.'
          )}
        </li>
        <li>
          {trans.__(
            'Kernels and Jobs: what each kernel holds, and every copy and install.'
          )}
        </li>
      </ol>
      <div className="jp-Airlock-row">
        <a
          className="jp-Airlock-link"
          href={USER_GUIDE_URL}
          target="_blank"
          rel="noopener noreferrer"
        >
          {trans.__('User guide')}
        </a>
        <Button small className="jp-Airlock-secondary" onClick={onDismiss}>
          {trans.__('Got it')}
        </Button>
      </div>
    </section>
  );
}
