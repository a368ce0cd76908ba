import type { ReactNode } from 'react';

/** A labelled input with the API's message for this field right under it. */
export function Field({
  form,
  name,
  label,
  error,
  children,
}: {
  form: string;
  name: string;
  label: string;
  error?: string;
  children: (props: {
    id: string;
    name: string;
    'aria-invalid'?: true;
    'aria-describedby'?: string;
  }) => ReactNode;
}) {
  const id = `${form}-${name}`;
  return (
    <div className={error ? 'field has-error' : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        name,
        ...(error ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-error` } : {}),
      })}
      {error && (
        <p className="field-error" id={`${id}-error`} data-field={name} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
