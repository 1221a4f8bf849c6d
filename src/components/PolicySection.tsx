import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import { IArtifactSource, IPolicy } from '../api';
import { formatSize } from './format';

/**
 * The Policy section: the rules the admin set, in plain words, read-only. When the
 * policy cannot be read, that comes first: everything it guards is refused.
 */
export function PolicySection(props: {
  /**
   * Undefined when the server is older than policies.
   */
  policy: IPolicy | undefined;
  trans: TranslationBundle;
}): JSX.Element {
  const { policy, trans } = props;
  if (!policy) {
    return (
      <p className="jp-Airlock-empty">
        {trans.__('This server does not report a policy.')}
      </p>
    );
  }
  return (
    <div className="jp-Airlock-policy" data-testid="airlock-policy">
      {policy.broken ? (
        <div className="jp-Airlock-error">{brokenMessage(policy, trans)}</div>
      ) : isOpen(policy) ? (
        <p>
          {trans.__(
            'No policy: every package is allowed, from any artifact source.'
          )}
        </p>
      ) : (
        <ul className="jp-Airlock-policyRules">
          <PackageRules policy={policy} trans={trans} />
          <li>
            {policy.require_verified
              ? trans.__(
                  'Every installed file needs a sha256 listed in a manifest of the source.'
                )
              : trans.__(
                  'Files whose sha256 no manifest lists may be installed too.'
                )}
          </li>
          <SourceRules sources={policy.allowed_sources} trans={trans} />
          <li>
            {policy.max_copy_bytes === null
              ? trans.__('Copies out of the source may be of any size.')
              : trans.__(
                  'Copies out of the source larger than %1 are refused.',
                  formatSize(policy.max_copy_bytes)
                )}
          </li>
          <li>
            {policy.allow_system_installs
              ? trans.__(
                  'Packages may be installed into system (non-virtual) Python environments.'
                )
              : trans.__(
                  'Installs into system (non-virtual) Python environments are refused: use a virtual or conda environment.'
                )}
          </li>
        </ul>
      )}
      <p className="jp-Airlock-muted">
        {trans.__(
          'Your administrator sets the policy in the server’s configuration; it cannot be changed here.'
        )}
      </p>
    </div>
  );
}

/**
 * What to say, prominently, while the policy cannot be read.
 */
export function brokenMessage(
  policy: IPolicy,
  trans: TranslationBundle
): string {
  return trans.__(
    'The admin’s policy cannot be read, so every install and copy is refused until an administrator fixes it. %1',
    policy.broken ?? ''
  );
}

/**
 * Whether the admin set no rule at all.
 */
function isOpen(policy: IPolicy): boolean {
  return (
    policy.allow === null &&
    policy.deny.length === 0 &&
    !policy.require_verified &&
    policy.allowed_sources === null &&
    policy.max_copy_bytes === null &&
    policy.allow_system_installs
  );
}

function PackageRules(props: {
  policy: IPolicy;
  trans: TranslationBundle;
}): JSX.Element {
  const { policy, trans } = props;
  return (
    <>
      <li>
        {policy.allow === null
          ? trans.__('Every package may be installed, unless denied below.')
          : policy.allow.length === 0
            ? trans.__('No package may be installed.')
            : trans.__('Only these packages may be installed:')}
        {policy.allow && policy.allow.length > 0 && (
          <Requirements items={policy.allow} label={trans.__('Allowed')} />
        )}
      </li>
      {policy.deny.length > 0 && (
        <li>
          {trans.__('These packages are never installed:')}
          <Requirements items={policy.deny} label={trans.__('Denied')} />
        </li>
      )}
    </>
  );
}

function Requirements(props: { items: string[]; label: string }): JSX.Element {
  return (
    <ul className="jp-Airlock-policyList" aria-label={props.label}>
      {props.items.map(item => (
        <li key={item} className="jp-Airlock-url">
          {item}
        </li>
      ))}
    </ul>
  );
}

function SourceRules(props: {
  sources: IArtifactSource[] | null;
  trans: TranslationBundle;
}): JSX.Element {
  const { sources, trans } = props;
  if (sources === null) {
    return <li>{trans.__('Profiles may use any artifact source.')}</li>;
  }
  return (
    <li>
      {sources.length === 0
        ? trans.__('Profiles may use no artifact source.')
        : trans.__('Profiles may only use these artifact sources:')}
      {sources.length > 0 && (
        <Requirements
          items={sources.map(source => describeSource(source, trans))}
          label={trans.__('Allowed artifact sources')}
        />
      )}
    </li>
  );
}

/**
 * An artifact source in one line: `s3://bucket/prefix at endpoint`, or its folder.
 */
function describeSource(
  source: IArtifactSource,
  trans: TranslationBundle
): string {
  if (source.kind === 'folder' || (source.path && !source.bucket)) {
    return source.path ?? '';
  }
  const where = `s3://${source.bucket ?? '*'}/${source.prefix ?? ''}`;
  return source.endpoint_url
    ? trans.__('%1 at %2', where, source.endpoint_url)
    : where;
}
