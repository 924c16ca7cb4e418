-- CLV Desk schema, version 7: the minimum first order in force when a referral's rewards
-- were issued (store::referrals), so a later refund is judged against the rules the reward
-- was given under (or today's, when they are more lenient), not a minimum raised since.
-- NULL while the referral is not rewarded, and for rewards issued before this version
-- (judged against today's minimum, as they were).
ALTER TABLE referrals ADD COLUMN rewarded_min_cents INTEGER;
