-- The topic and broker a state change concerns, for the state-changes page's filters
-- (server/kafka/state-change-subject.ts derives them for new rows; these fill in old ones).
ALTER TABLE "state_changes" ADD COLUMN "topic" TEXT;
ALTER TABLE "state_changes" ADD COLUMN "broker" INTEGER;

UPDATE "state_changes" SET "topic" = substring("subject" from '^(.+)-[0-9]+(?:@[0-9]+)?$')
  WHERE "machine" IN ('partition', 'replica', 'reassignment');
UPDATE "state_changes" SET "broker" = CAST(substring("subject" from '@([0-9]+)$') AS INTEGER)
  WHERE "machine" = 'replica' AND "subject" ~ '^.+-[0-9]+@[0-9]+$';
UPDATE "state_changes" SET "broker" = CAST("subject" AS INTEGER)
  WHERE "machine" = 'broker' AND "subject" ~ '^[0-9]+$';

-- CreateIndex
CREATE INDEX "state_changes_cluster_topic_idx" ON "state_changes"("cluster", "topic");

-- CreateIndex
CREATE INDEX "state_changes_cluster_broker_idx" ON "state_changes"("cluster", "broker");
