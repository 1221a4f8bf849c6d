import { TranslationBundle } from '@jupyterlab/translation';
import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IBundleInfo } from '../../api';
import { bundleOrigin, IKernelOrigin } from '../../model';

/**
 * The open folder is a transfer bundle: what it is for, and a kernel made from it.
 */
export function BundleBox(props: {
  bundle: IBundleInfo;
  trans: TranslationBundle;
  onCreateKernel: (origin: IKernelOrigin) => void;
}): JSX.Element {
  const { bundle, trans, onCreateKernel } = props;
  if (bundle.problem) {
    return (
      <div className="jp-Airlock-warning" role="status">
        {trans.__(
          'This folder looks like a transfer bundle, but its bundle.json cannot be read: %1',
          bundle.problem
        )}
      </div>
    );
  }
  const origin = bundleOrigin(bundle, trans);
  return (
    <div className="jp-Airlock-bundle" data-testid="airlock-bundle">
      <div>
        <strong>{trans.__('Transfer bundle %1', origin.label)}</strong>
        {origin.details && (
          <span className="jp-Airlock-muted"> · {origin.details}</span>
        )}
      </div>
      {bundle.requirements && bundle.requirements.length > 0 && (
        <div className="jp-Airlock-url" title={trans.__('Requirements')}>
          {bundle.requirements.join(', ')}
        </div>
      )}
      <Button
        small
        className="jp-mod-styled jp-mod-accept"
        onClick={() => onCreateKernel(origin)}
      >
        {trans.__('Create kernel from bundle…')}
      </Button>
    </div>
  );
}
