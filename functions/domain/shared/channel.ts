/** The three ways a letter reaches a citizen; the platform picks one, once, per letter. */
export type Channel = 'helsenorge' | 'digital-mailbox' | 'paper';
