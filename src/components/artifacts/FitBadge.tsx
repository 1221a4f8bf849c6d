import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IArtifactEntry } from '../../api';

/**
 * Whether a file fits the chosen kernel; nothing while it is not judged (no kernel chosen,
 * or not a package).
 */
export function FitBadge(props: {
  fit: IArtifactEntry['fit'];
  trans: TranslationBundle;
}): JSX.Element | null {
  const { fit, trans } = props;
  if (!fit || fit.fits === null) {
    return null;
  }
  return (
    <span
      className={fit.fits ? 'jp-Airlock-ok' : 'jp-Airlock-failed'}
      title={fit.reason ?? ''}
    >
      {fit.fits ? trans.__('fits') : trans.__('does not fit')}
    </span>
  );
}

/**
 * The admin's policy refuses the file: it cannot be installed, so whether it fits is moot.
 */
export function NotAllowedBadge(props: {
  refused: { reason?: string | null };
  trans: TranslationBundle;
}): JSX.Element {
  const { refused, trans } = props;
  return (
    <span
      className="jp-Airlock-failed"
      data-testid="airlock-not-allowed"
      title={refused.reason ?? trans.__('The admin’s policy does not allow it')}
    >
      {trans.__('not allowed')}
    </span>
  );
}
