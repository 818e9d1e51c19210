// Adapter fields for tests: one adapter the demo catalog does not cover, so a hit for it on another node
// came from the node that holds it.
export const CARILLON = {
  id: 'carillon-bell-tuning', name: 'Carillon Bell Tuning', version: '1.0.0',
  description: 'Tunes cast bronze carillon bells: measures the hum, prime, tierce, quint and nominal partials from a recording, and plans how much metal to turn off the inside of each bell so the partials line up.',
  kind: 'lora', baseModel: 'Qwen/Qwen2.5-7B-Instruct', rank: 8, targetModules: ['q_proj', 'v_proj'], license: 'apache-2.0',
  specializations: ['bell-partials', 'carillon', 'tuning-lathe'], capabilities: ['analysis', 'explanation'], domain: 'music/instruments',
  sizeBytes: 20_000_000, contentHash: 'sha256-' + 'ab'.repeat(32), metrics: { downloads: 12, rating: 4.2 }, price: 3
}
export const CARILLON_QUERY = 'tuning the partials of cast bronze carillon bells'
