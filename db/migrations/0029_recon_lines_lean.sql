ALTER TABLE "recon_lines" DROP CONSTRAINT "recon_lines_run_id_recon_runs_id_fk";
--> statement-breakpoint
DROP INDEX "recon_lines_attempt_idx";