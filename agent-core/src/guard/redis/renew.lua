-- Extends the lease of a claim whose call still runs.
-- KEYS[1]: the key. ARGV[1]: the claim's token. ARGV[2]: the lease, in ms.
-- Answers 1 when renewed, 0 when the key is not this claim's any more.
if redis.call('GET', KEYS[1]) == 'C' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
