import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation, type CombinedError } from 'urql';
import { formErrors, noErrors, type FormErrors } from '../errors';
import {
  DashboardAdjustDocument,
  DashboardGrantDocument,
  DashboardPurchaseDocument,
  DashboardSetAlertsDocument,
  type FundingMethod,
} from '../gql/graphql';
import { Field } from './Field';

/** A fresh key per submission: a double click or a retry of the same submission books once. */
const idempotencyKey = () => `dashboard-${crypto.randomUUID()}`;
const emptyToNull = (s: string) => (s.trim() === '' ? null : s.trim());

function useForm() {
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [done, setDone] = useState<string | null>(null);
  const finish = (error: CombinedError | undefined, ok: string) => {
    setErrors(formErrors(error));
    setDone(error ? null : ok);
  };
  return { errors, done, finish };
}

function FormShell({
  id,
  title,
  onSubmit,
  busy,
  errors,
  done,
  submit,
  children,
}: {
  id: string;
  title: string;
  onSubmit(e: FormEvent): void;
  busy: boolean;
  errors: FormErrors;
  done: string | null;
  submit: string;
  children: ReactNode;
}) {
  return (
    <form className="card action" id={id} onSubmit={onSubmit} noValidate>
      <h3>{title}</h3>
      {children}
      {errors.general && (
        <p className="error-box" role="alert" data-testid={`${id}-error`}>
          {errors.general}
        </p>
      )}
      {done && <p className="ok">{done}</p>}
      <button type="submit" disabled={busy}>
        {busy ? 'Working…' : submit}
      </button>
    </form>
  );
}

/** Admin actions: grant, adjust and purchase credits, and alert thresholds, each in its own small form. */
export function Actions({ customerId, currencies }: { customerId: string; currencies: string[] }) {
  const fallback = currencies[0] ?? '';
  return (
    <div className="actions">
      <GrantForm customerId={customerId} currency={fallback} />
      <AdjustForm customerId={customerId} currency={fallback} />
      <PurchaseForm customerId={customerId} />
      <AlertsForm customerId={customerId} currency={fallback} />
    </div>
  );
}

function GrantForm({ customerId, currency: initial }: { customerId: string; currency: string }) {
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState(initial);
  const [name, setName] = useState('');
  const [fundingMethod, setFundingMethod] = useState<FundingMethod>('PROMOTIONAL');
  const [expiresAt, setExpiresAt] = useState('');
  const [{ fetching }, grant] = useMutation(DashboardGrantDocument);
  const { errors, done, finish } = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await grant({
      input: {
        customerId,
        amount: amount.trim(),
        currency: currency.trim(),
        fundingMethod,
        name: emptyToNull(name),
        expiresAt: expiresAt ? new Date(expiresAt).toISOString() : null,
        idempotencyKey: idempotencyKey(),
      },
    });
    finish(res.error, `Granted ${res.data?.createCreditGrant.amount ?? ''} ${currency}`);
    if (!res.error) setAmount('');
  };
  const f = errors.fields;
  return (
    <FormShell
      id="grant"
      title="Grant credits"
      onSubmit={submit}
      busy={fetching}
      errors={errors}
      done={done}
      submit="Grant"
    >
      <div className="row">
        <Field form="grant" name="amount" label="Amount" error={f.amount}>
          {(p) => (
            <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
          )}
        </Field>
        <Field form="grant" name="currency" label="Currency" error={f.currency}>
          {(p) => (
            <input {...p} className="short" value={currency} onChange={(e) => setCurrency(e.target.value)} />
          )}
        </Field>
      </div>
      <div className="row">
        <Field form="grant" name="fundingMethod" label="Funding" error={f.fundingMethod}>
          {(p) => (
            <select
              {...p}
              value={fundingMethod}
              onChange={(e) => setFundingMethod(e.target.value as FundingMethod)}
            >
              <option value="PROMOTIONAL">Promotional</option>
              <option value="EXTERNAL">External payment</option>
              <option value="INVOICE">Invoice</option>
            </select>
          )}
        </Field>
        <Field form="grant" name="expiresAt" label="Expires (optional)" error={f.expiresAt}>
          {(p) => (
            <input
              {...p}
              type="datetime-local"
              value={expiresAt}
              onChange={(e) => setExpiresAt(e.target.value)}
            />
          )}
        </Field>
      </div>
      <Field form="grant" name="name" label="Name (optional)" error={f.name}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
    </FormShell>
  );
}

function AdjustForm({ customerId, currency: initial }: { customerId: string; currency: string }) {
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState(initial);
  const [reason, setReason] = useState('');
  const [{ fetching }, adjust] = useMutation(DashboardAdjustDocument);
  const { errors, done, finish } = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await adjust({
      input: {
        customerId,
        amount: amount.trim(),
        currency: currency.trim(),
        reason,
        idempotencyKey: idempotencyKey(),
      },
    });
    finish(res.error, `Adjusted by ${res.data?.adjustCredits.amount ?? ''} ${currency}`);
    if (!res.error) setAmount('');
  };
  const f = errors.fields;
  return (
    <FormShell
      id="adjust"
      title="Adjust balance"
      onSubmit={submit}
      busy={fetching}
      errors={errors}
      done={done}
      submit="Adjust"
    >
      <div className="row">
        <Field form="adjust" name="amount" label="Amount (+ adds, − draws down)" error={f.amount}>
          {(p) => (
            <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
          )}
        </Field>
        <Field form="adjust" name="currency" label="Currency" error={f.currency}>
          {(p) => (
            <input {...p} className="short" value={currency} onChange={(e) => setCurrency(e.target.value)} />
          )}
        </Field>
      </div>
      <Field form="adjust" name="reason" label="Reason" error={f.reason}>
        {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
      </Field>
    </FormShell>
  );
}

function PurchaseForm({ customerId }: { customerId: string }) {
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('');
  const [{ fetching }, purchase] = useMutation(DashboardPurchaseDocument);
  const { errors, done, finish } = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const res = await purchase({
      input: {
        customerId,
        amount: amount.trim(),
        currency: emptyToNull(currency),
        idempotencyKey: idempotencyKey(),
      },
    });
    finish(res.error, `Purchased ${res.data?.purchaseCredits.amount ?? ''} credits`);
    if (!res.error) setAmount('');
  };
  const f = errors.fields;
  return (
    <FormShell
      id="purchase"
      title="Purchase credits"
      onSubmit={submit}
      busy={fetching}
      errors={errors}
      done={done}
      submit="Purchase"
    >
      <div className="row">
        <Field form="purchase" name="amount" label="Credits" error={f.amount}>
          {(p) => (
            <input {...p} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
          )}
        </Field>
        <Field form="purchase" name="currency" label="Currency (default: plan's)" error={f.currency}>
          {(p) => (
            <input {...p} className="short" value={currency} onChange={(e) => setCurrency(e.target.value)} />
          )}
        </Field>
      </div>
    </FormShell>
  );
}

function AlertsForm({ customerId, currency: initial }: { customerId: string; currency: string }) {
  const [thresholds, setThresholds] = useState('');
  const [currency, setCurrency] = useState(initial);
  const [{ fetching }, set] = useMutation(DashboardSetAlertsDocument);
  const { errors, done, finish } = useForm();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const list = thresholds
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    const res = await set({ input: { customerId, currency: currency.trim(), thresholds: list } });
    finish(res.error, `Alert thresholds: ${res.data?.setCreditAlerts.join(', ') || 'none'}`);
  };
  const f = errors.fields;
  return (
    <FormShell
      id="alerts"
      title="Alert thresholds"
      onSubmit={submit}
      busy={fetching}
      errors={errors}
      done={done}
      submit="Save thresholds"
    >
      <div className="row">
        <Field form="alerts" name="thresholds" label="Thresholds, comma-separated" error={f.thresholds}>
          {(p) => (
            <input
              {...p}
              placeholder="50, 10"
              value={thresholds}
              onChange={(e) => setThresholds(e.target.value)}
            />
          )}
        </Field>
        <Field form="alerts" name="currency" label="Currency" error={f.currency}>
          {(p) => (
            <input {...p} className="short" value={currency} onChange={(e) => setCurrency(e.target.value)} />
          )}
        </Field>
      </div>
    </FormShell>
  );
}
