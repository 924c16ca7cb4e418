-- CLV Desk schema, version 6: what the referral program needs to remember between
-- evaluations (store::referrals). Statuses are re-derived from the orders after every
-- import, so only what cannot be derived is stored: the owner's review decision (final for
-- a rejection, and an approval clears the fraud flags), the evidence of the last fraud
-- check, and the day the referral qualified. The rules live in `settings`
-- (key `referral_rules`, JSON).
ALTER TABLE referrals ADD COLUMN review_decision TEXT
    CHECK (review_decision IS NULL OR review_decision IN ('approved', 'rejected'));
ALTER TABLE referrals ADD COLUMN review_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE referrals ADD COLUMN reviewed_utc INTEGER;
-- Fraud evidence in words at the last evaluation ('' when clean).
ALTER TABLE referrals ADD COLUMN flags TEXT NOT NULL DEFAULT '';
-- 'YYYY-MM-DD' the friend's first order cleared the refund window, when it did.
ALTER TABLE referrals ADD COLUMN qualified_date TEXT;
