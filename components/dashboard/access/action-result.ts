/** What a dashboard form's server action returns (read with useActionState); null before the first submit. */
export type ActionResult<T = null> = { ok: true; data: T } | { ok: false; error: string; field?: string } | null;
