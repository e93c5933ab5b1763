/** A query and documents of mixed relevance and length that the scoring tests share. */
export const QUERY = 'which metals are magnetic';
export const DOCS = [
  'Iron, nickel and cobalt are ferromagnetic metals.',
  'Aluminium is not attracted to a fridge magnet.',
  'The museum opens at nine on weekdays.',
  'Magnetite is a naturally magnetic iron oxide mineral found in many rocks around the world.',
];
