-- CreateTable
CREATE TABLE "feed_webhooks" (
    "client_id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "cursor" INTEGER NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMP(3) NOT NULL,
    "lease_owner" TEXT,
    "lease_until" TIMESTAMP(3),
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "feed_webhooks_pkey" PRIMARY KEY ("client_id")
);

-- AddForeignKey
ALTER TABLE "feed_webhooks" ADD CONSTRAINT "feed_webhooks_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;
