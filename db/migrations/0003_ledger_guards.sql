-- Guards drizzle cannot express: the journal is append-only and every journal transaction balances.

-- Entries, journal transactions and accounts are immutable: corrections are reversing postings.
CREATE FUNCTION ledger_refuse_mutation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger table % is append-only: % refused (post a reversing transaction instead)', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'restrict_violation';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER journal_entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER journal_transactions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON journal_transactions
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint
CREATE TRIGGER ledger_accounts_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_accounts
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_mutation();
--> statement-breakpoint

-- Once per INSERT statement on entries (a transition table, so a 4-line posting costs one query):
-- every journal transaction it touched balances per currency, counting earlier entries too (so
-- lines cannot be appended to an old transaction), and every entry names an existing account of
-- its own currency (this replaces a foreign key, whose FOR KEY SHARE on the hot clearing account
-- row would serialize all postings).
CREATE FUNCTION ledger_check_inserted_entries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
  SELECT e.transaction_id, e.currency, sum(e.amount_minor) AS total INTO bad
    FROM journal_entries e
   WHERE e.transaction_id IN (SELECT DISTINCT n.transaction_id FROM new_entries n)
   GROUP BY e.transaction_id, e.currency
  HAVING sum(e.amount_minor) <> 0
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal transaction % does not balance in %: entries sum to %', bad.transaction_id, bad.currency, bad.total
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT n.id, n.account_id, n.currency INTO bad
    FROM new_entries n LEFT JOIN ledger_accounts a ON a.id = n.account_id
   WHERE a.id IS NULL OR a.currency <> n.currency
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % names account % that does not exist in currency %', bad.id, bad.account_id, bad.currency
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER journal_entries_balanced AFTER INSERT ON journal_entries
  REFERENCING NEW TABLE AS new_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_inserted_entries();
--> statement-breakpoint

-- At commit, every new journal transaction has two or more entries and balances per currency.
CREATE FUNCTION ledger_check_transaction_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  entry_count integer;
  unbalanced text;
BEGIN
  SELECT count(*) INTO entry_count FROM journal_entries WHERE transaction_id = NEW.id;
  IF entry_count < 2 THEN
    RAISE EXCEPTION 'journal transaction % has % entries; two or more are required', NEW.id, entry_count
      USING ERRCODE = 'check_violation';
  END IF;
  SELECT currency INTO unbalanced FROM journal_entries WHERE transaction_id = NEW.id
   GROUP BY currency HAVING sum(amount_minor) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal transaction % does not balance in %', NEW.id, unbalanced USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER journal_transactions_balanced AFTER INSERT ON journal_transactions
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_transaction_at_commit();
--> statement-breakpoint

-- A journal transaction is reversed at most once (lib/ledger/reversal.ts).
CREATE UNIQUE INDEX journal_transactions_reverses_key ON journal_transactions (reverses_id) WHERE reverses_id IS NOT NULL;
