-- Frees a key this claim holds, without an answer, and wakes its waiters.
-- KEYS[1]: the key. ARGV[1]: the claim's token. ARGV[2]: the key's channel.
-- Answers 1 when freed, 0 when the key is not this claim's (any more).
if redis.call('GET', KEYS[1]) == 'C' .. ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], 'released')
  return 1
end
return 0
