import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect, UseSignal } from '@jupyterlab/ui-components';
import * as React from 'react';

import { ProfilesModel } from '../profiles';

/**
 * What the Settings Editor's form gives a custom field (a part of rjsf's FieldProps).
 */
export interface IActiveProfileFieldProps {
  formData?: unknown;
  idSchema: { $id: string };
  schema: { title?: string };
  onChange: (value: string) => void;
}

/**
 * `activeProfile` in the Settings Editor: a picker of the profiles there are now (the
 * admin's and the user's own), the same as the panel's.
 *
 * The names are not an enum of the schema: JupyterLab compiles a plugin's schema once, so
 * names offered later (the server's, a profile the user just added) would fail validation.
 */
export function ActiveProfileField(
  props: IActiveProfileFieldProps & {
    model: ProfilesModel;
    trans: TranslationBundle;
  }
): JSX.Element {
  const { model, trans, idSchema, schema, onChange } = props;
  const value = typeof props.formData === 'string' ? props.formData : '';
  return (
    <UseSignal signal={model.changed}>
      {() => {
        const names = model.choices.map(choice => choice.profile.name);
        const options = [
          ...(names.includes(value) && value
            ? []
            : [
                {
                  label: value
                    ? trans.__('%1 (not available)', value)
                    : trans.__('(none)'),
                  value
                }
              ]),
          ...model.choices.map(choice => ({
            label: choice.managed
              ? trans.__('%1 (managed)', choice.profile.name)
              : choice.profile.name,
            value: choice.profile.name
          }))
        ];
        return (
          <>
            <label
              className="jp-FormGroup-fieldLabel jp-FormGroup-contentItem jp-Airlock-settingLabel"
              htmlFor={idSchema.$id}
            >
              {schema.title}
            </label>
            <HTMLSelect
              id={idSchema.$id}
              value={value}
              disabled={model.busy}
              onChange={event => onChange(event.currentTarget.value)}
              options={options}
            />
          </>
        );
      }}
    </UseSignal>
  );
}
