import type { ReferenceField, ReferenceGroup, ReferenceOperation } from '@/lib/api-docs/reference';
import styles from './api-reference.module.css';

/** The API reference: a table of contents, then each operation with its parameters and fields. */
export function ApiReference({ groups, version }: { groups: ReferenceGroup[]; version: string }) {
  return (
    <div className={styles.layout}>
      <nav className={styles.toc} aria-label="API operations">
        {groups.map((g) => (
          <div key={g.tag}>
            <h2 className={styles.tocTag}>{g.tag}</h2>
            <ul>
              {g.operations.map((o) => (
                <li key={o.id}>
                  <a href={`#${o.id}`}>{o.summary}</a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <div className={styles.content}>
        <p className={styles.lead}>
          Stripe-compatible: point an official Stripe SDK at this host and it works unchanged. Wire format of Stripe API version{' '}
          <code>{version}</code>. Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1).
        </p>
        {groups.map((g) => (
          <section key={g.tag} aria-labelledby={`tag-${g.tag}`}>
            <h2 id={`tag-${g.tag}`} className={styles.tag}>
              {g.tag}
            </h2>
            {g.operations.map((o) => (
              <Operation key={o.id} operation={o} />
            ))}
          </section>
        ))}
      </div>
    </div>
  );
}

function Operation({ operation: o }: { operation: ReferenceOperation }) {
  return (
    <article id={o.id} className={styles.operation} data-testid="api-operation">
      <h3 className={styles.summary}>{o.summary}</h3>
      <p className={styles.endpoint}>
        <span className={styles.method} data-method={o.method}>
          {o.method}
        </span>{' '}
        <code>{o.path}</code>
        {o.public ? <span className={styles.badge}>no key needed</span> : null}
      </p>
      {o.description ? <p>{o.description}</p> : null}
      {o.params.length > 0 ? <Fields title="Parameters" fields={o.params} withLocation /> : null}
      {o.body.length > 0 ? <Fields title="Body (form-encoded or JSON)" fields={o.body} /> : null}
      {o.response.length > 0 ? <Fields title="Returns" fields={o.response} /> : null}
    </article>
  );
}

function Fields({ title, fields, withLocation = false }: { title: string; fields: (ReferenceField & { in?: string })[]; withLocation?: boolean }) {
  return (
    <>
      <h4 className={styles.fieldsTitle}>{title}</h4>
      <table className={styles.fields}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            {withLocation ? <th scope="col">In</th> : null}
            <th scope="col">Type</th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={`${f.in ?? ''}${f.name}`}>
              <td>
                <code>{f.name}</code>
                {f.required ? <span className={styles.required}> required</span> : null}
              </td>
              {withLocation ? <td>{f.in}</td> : null}
              <td className={styles.type}>{f.type}</td>
              <td>{f.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
