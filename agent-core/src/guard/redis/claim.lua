-- Claims a guarded key for one call, atomically.
-- KEYS[1]: the key. ARGV[1]: the claim's token. ARGV[2]: its lease, in ms.
-- A key holds 'C' .. token while a call runs, 'A' .. answer once it is done.
-- Answers {0, ''} when the caller now holds the key (a repeat of the same
-- claim too, so a retried request is safe), {1, answer} when the call already
-- ran, {2, value} when another claim holds the key.
local value = redis.call('GET', KEYS[1])
local claim = 'C' .. ARGV[1]
if not value or value == claim then
  redis.call('SET', KEYS[1], claim, 'PX', ARGV[2])
  return {0, ''}
end
if string.sub(value, 1, 1) == 'A' then
  return {1, string.sub(value, 2)}
end
return {2, value}
