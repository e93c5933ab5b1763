/** What "Load sample" fills in: one query and short passages (none long enough to be truncated). */
export const SAMPLE_QUERY = 'how do plants make their own food';

export const SAMPLE_PASSAGES = [
  'Plants use light from the sun, water and air to make sugar in their leaves.',
  'The city council will meet on Monday to talk about the new road.',
  'Green leaves hold a pigment that captures the energy of sunlight.',
  'He bought a new phone because the old one would not turn on.',
  'Roots take up water from the soil and carry it to the rest of the plant.',
  'The team won the game in the last minute of play.',
];
