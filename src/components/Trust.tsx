import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IAdvisory, ITrust } from '../api';

/**
 * Who vouches for a file, in a word and a colour; the reason (a bad signature's) in the
 * tooltip.
 */
export function TrustBadge(props: {
  trust: ITrust | null | undefined;
  trans: TranslationBundle;
  /**
   * For a row of the compact list: the signer goes to the tooltip, and the states a
   * checksum badge already shows render nothing.
   */
  quiet?: boolean;
}): JSX.Element | null {
  const { trust, trans, quiet } = props;
  if (!trust) {
    return null;
  }
  switch (trust.state) {
    case 'signed':
      return (
        <span
          className="jp-Airlock-ok"
          data-testid="airlock-trust"
          title={trans.__(
            'signed by %1: listed in a manifest signed by a signer your admin trusts',
            trust.principal ?? ''
          )}
        >
          {quiet
            ? trans.__('signed')
            : trans.__('signed by %1', trust.principal ?? '')}
        </span>
      );
    case 'bad-signature':
      return (
        <span
          className="jp-Airlock-failed"
          data-testid="airlock-trust"
          title={trust.reason ?? ''}
        >
          {trans.__('bad signature')}
        </span>
      );
    case 'mismatch':
      return quiet ? null : (
        <span className="jp-Airlock-failed" data-testid="airlock-trust">
          {trans.__('mismatch')}
        </span>
      );
    case 'checksum':
      return quiet ? null : (
        <span
          className="jp-Airlock-ok"
          data-testid="airlock-trust"
          title={trans.__(
            'Its sha256 is in a manifest of the source; no trusted signature vouches for it'
          )}
        >
          {trans.__('✓ verified (checksum only)')}
        </span>
      );
    default:
      return quiet ? null : (
        <span
          className="jp-Airlock-muted"
          data-testid="airlock-trust"
          title={trans.__('No manifest of the source lists it')}
        >
          {trans.__('unverified')}
        </span>
      );
  }
}

/**
 * The known advisories of a package's version: a count, the ids, and each one's summary,
 * severity and fixed versions in the tooltip.
 */
export function AdvisoriesBadge(props: {
  advisories: IAdvisory[] | null | undefined;
  trans: TranslationBundle;
}): JSX.Element | null {
  const { advisories, trans } = props;
  if (!advisories || advisories.length === 0) {
    return null;
  }
  const details = advisories
    .map(advisory =>
      [
        [advisory.id, ...advisory.aliases].join(' / '),
        advisory.summary,
        advisory.score !== null
          ? trans.__('CVSS %1', advisory.score)
          : advisory.severity,
        advisory.fixed.length > 0
          ? trans.__('fixed in %1', advisory.fixed.join(', '))
          : trans.__('no fix known')
      ]
        .filter(Boolean)
        .join(' — ')
    )
    .join('\n');
  return (
    <span
      className="jp-Airlock-failed"
      data-testid="airlock-advisories"
      title={details}
    >
      {trans._n('%1 advisory', '%1 advisories', advisories.length)}
    </span>
  );
}
