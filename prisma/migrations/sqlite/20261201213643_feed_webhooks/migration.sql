-- CreateTable
CREATE TABLE "feed_webhooks" (
    "client_id" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "cursor" INTEGER NOT NULL,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" DATETIME NOT NULL,
    "lease_owner" TEXT,
    "lease_until" DATETIME,
    "last_error" TEXT,
    "created_at" DATETIME NOT NULL,
    CONSTRAINT "feed_webhooks_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
