-- The app connects as `paykit_app`, a role that reads and writes rows and nothing else; migrations
-- run as the owner of the tables (the role that applies them). Owner-only powers the app thereby
-- loses: DDL (CREATE/ALTER/DROP), ALTER TABLE ... DISABLE TRIGGER, TRUNCATE, and (not being a
-- superuser) SET session_replication_role, which would skip every trigger.

-- Wallet balances are a projection of journal entries, written only by this trigger: the app role
-- has no write privilege on ledger_balances, so the only way to move a balance is to post balanced,
-- immutable entries. SECURITY DEFINER runs it as the owner; the pinned search_path keeps a caller's
-- objects from standing in for ours. Once per INSERT statement, after ledger_check_inserted_entries
-- (triggers of one kind fire in name order); each account's net delta goes to one random shard of
-- BALANCE_SHARDS (lib/ledger/post.ts), in account order, so concurrent postings cannot deadlock.
CREATE FUNCTION ledger_project_balances() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO ledger_balances (account_id, shard, balance_minor)
  SELECT n.account_id, floor(random() * 64)::smallint,
         -- natural sign (lib/ledger/accounts.ts normalSign): assets grow with debits, the rest with credits
         sum(CASE WHEN a.kind IN ('psp_clearing', 'bank') THEN n.amount_minor ELSE -n.amount_minor END)
    FROM new_entries n JOIN ledger_accounts a ON a.id = n.account_id
   GROUP BY n.account_id
  HAVING sum(n.amount_minor) <> 0
   ORDER BY n.account_id
  ON CONFLICT (account_id, shard) DO UPDATE SET
    balance_minor = ledger_balances.balance_minor + excluded.balance_minor,
    updated_at = now();
  RETURN NULL;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION ledger_project_balances() FROM PUBLIC;
--> statement-breakpoint
CREATE TRIGGER journal_entries_project_balances AFTER INSERT ON journal_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_project_balances();
--> statement-breakpoint

-- The app role's privileges, applied by this migration and again after every migrate
-- (db/migrate.ts), so tables of later migrations are covered even when another role created them
-- (default privileges cover only the creating role's objects). Without CREATEROLE the role cannot be
-- made here: the app then keeps running as the migration role, and the notice says so.
CREATE FUNCTION paykit_grant_app_role() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'paykit_app') THEN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
      RAISE NOTICE 'role paykit_app does not exist and % may not create it; the app keeps the migration role''s rights', current_user;
      RETURN;
    END IF;
    BEGIN
      CREATE ROLE paykit_app NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database of this cluster created it at the same moment
    END;
  END IF;
  GRANT USAGE ON SCHEMA public TO paykit_app;
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO paykit_app;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO paykit_app;
  -- The journal is append-only (its triggers refuse changes too; this refuses them before they run).
  REVOKE UPDATE, DELETE, TRUNCATE ON journal_entries, journal_transactions, ledger_accounts FROM paykit_app;
  -- Balances move only with journal entries (ledger_project_balances above).
  REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_balances FROM paykit_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO paykit_app;
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO paykit_app;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION paykit_grant_app_role() FROM PUBLIC;
--> statement-breakpoint
SELECT paykit_grant_app_role();
