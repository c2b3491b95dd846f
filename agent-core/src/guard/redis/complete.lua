-- Stores the answer of the call that holds a key, and wakes its waiters.
-- KEYS[1]: the key. ARGV[1]: the claim's token. ARGV[2]: the answer.
-- ARGV[3]: how long the answer is kept, in ms. ARGV[4]: the key's channel.
-- Answers 1 when the answer is stored (or already was, by a repeat of this
-- request), 0 when another call holds or answered the key: this claim's lease
-- ran out before its call finished.
local value = redis.call('GET', KEYS[1])
local answer = 'A' .. ARGV[2]
if value == answer then
  return 1
end
if value and value ~= 'C' .. ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], answer, 'PX', ARGV[3])
redis.call('PUBLISH', ARGV[4], 'completed')
return 1
