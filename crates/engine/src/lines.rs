//! Splitting JSONL at line boundaries: planning chunks from a stream of the input, and walking
//! the lines of one chunk. Line numbers are 0-based physical line indices of the input file;
//! blank lines are skipped (they get no result line) but still count.
//!
//! A line longer than the line limit becomes a chunk of its own, marked oversized, so that no
//! worker ever reads it: it is answered with an error from its number alone.

use stevedore_store::operations::ChunkPlan;

/// Limits that close a chunk: whichever is reached first, at a line boundary.
#[derive(Debug, Clone, Copy)]
pub struct ChunkLimits {
    pub max_lines: u64,
    pub max_bytes: u64,
    /// Longest line that is run; a longer one is answered with an error.
    pub max_line_bytes: u64,
}

/// Plans chunks incrementally as the input streams past, holding no input bytes itself.
#[derive(Debug)]
pub struct ChunkPlanner {
    limits: ChunkLimits,
    chunks: Vec<ChunkPlan>,
    offset: u64,
    chunk_start: u64,
    chunk_first_line: u64,
    /// Where the line in progress starts.
    line_start: u64,
    /// Non-blank lines completed in the current chunk.
    chunk_lines: u64,
    /// Physical lines completed so far.
    line_index: u64,
    /// Whether the line in progress has a non-whitespace byte.
    line_has_content: bool,
    non_blank_lines: u64,
}

/// The plan of a whole input: its chunks and how many lines will get a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputPlan {
    pub chunks: Vec<ChunkPlan>,
    pub non_blank_lines: u64,
    pub size: u64,
}

impl ChunkPlanner {
    pub fn new(limits: ChunkLimits) -> Self {
        Self {
            limits,
            chunks: Vec::new(),
            offset: 0,
            chunk_start: 0,
            chunk_first_line: 0,
            line_start: 0,
            chunk_lines: 0,
            line_index: 0,
            line_has_content: false,
            non_blank_lines: 0,
        }
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        let mut rest = bytes;
        while !rest.is_empty() {
            let newline = memchr::memchr(b'\n', rest);
            let (segment, consumed) = match newline {
                Some(at) => (&rest[..at], at + 1),
                None => (rest, rest.len()),
            };
            if !self.line_has_content {
                self.line_has_content = segment.iter().any(|byte| !byte.is_ascii_whitespace());
            }
            self.offset += consumed as u64;
            rest = &rest[consumed..];
            if newline.is_some() {
                self.end_line();
            }
        }
    }

    fn end_line(&mut self) {
        if self.line_has_content && self.offset - self.line_start > self.limits.max_line_bytes {
            self.isolate_oversized_line();
        } else if self.line_has_content {
            self.chunk_lines += 1;
            self.non_blank_lines += 1;
        }
        self.line_has_content = false;
        self.line_index += 1;
        self.line_start = self.offset;
        let full = self.chunk_lines >= self.limits.max_lines
            || self.offset - self.chunk_start >= self.limits.max_bytes;
        if full && self.chunk_lines > 0 {
            self.close_chunk(self.offset);
        }
    }

    /// Closes the chunk before the line in progress, then gives that line a chunk of its own.
    fn isolate_oversized_line(&mut self) {
        if self.chunk_lines > 0 {
            self.close_chunk(self.line_start);
        }
        // Blank lines before it (if any) ride along; they get no result either way.
        self.chunks.push(ChunkPlan {
            start_offset: self.chunk_start,
            end_offset: self.offset,
            first_line: self.line_index,
            oversized: true,
        });
        self.non_blank_lines += 1;
        self.chunk_start = self.offset;
        self.chunk_first_line = self.line_index + 1;
    }

    fn close_chunk(&mut self, end: u64) {
        self.chunks.push(ChunkPlan {
            start_offset: self.chunk_start,
            end_offset: end,
            first_line: self.chunk_first_line,
            oversized: false,
        });
        self.chunk_start = end;
        self.chunk_first_line = self.line_index;
        self.chunk_lines = 0;
    }

    pub fn finish(mut self) -> InputPlan {
        if self.line_has_content {
            // The last line has no trailing newline: end it like any other.
            self.end_line();
        }
        if self.chunk_lines > 0 {
            self.close_chunk(self.offset);
        }
        InputPlan {
            chunks: self.chunks,
            non_blank_lines: self.non_blank_lines,
            size: self.offset,
        }
    }
}

/// One input line that gets a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    pub number: u64,
    pub text: &'a [u8],
}

/// The non-blank lines of a chunk's bytes, numbered from the chunk's first physical line.
pub fn lines(bytes: &[u8], first_line: u64) -> impl Iterator<Item = Line<'_>> {
    // A chunk ends with a newline (except possibly the last), which would leave an empty last segment.
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|byte: &u8| *byte == b'\n')
        .enumerate()
        .map(move |(index, text)| Line {
            number: first_line + index as u64,
            text: text.strip_suffix(b"\r").unwrap_or(text),
        })
        .filter(|line| line.text.iter().any(|byte| !byte.is_ascii_whitespace()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan(input: &[u8], pieces: usize, limits: ChunkLimits) -> InputPlan {
        let mut planner = ChunkPlanner::new(limits);
        for piece in input.chunks(pieces.max(1)) {
            planner.feed(piece);
        }
        planner.finish()
    }

    fn all_lines(input: &[u8]) -> Vec<(u64, Vec<u8>)> {
        lines(input, 0)
            .map(|line| (line.number, line.text.to_vec()))
            .collect()
    }

    #[test]
    fn numbers_physical_lines_and_skips_blank_ones() {
        let input = b"{\"a\":1}\n\n  \n{\"a\":2}\r\n{\"a\":3}";
        let numbered: Vec<u64> = lines(input, 0).map(|line| line.number).collect();
        assert_eq!(numbered, [0, 3, 4]);
        assert_eq!(lines(input, 0).nth(1).unwrap().text, b"{\"a\":2}");
    }

    #[test]
    fn closes_chunks_at_the_line_limit() {
        let input = b"1\n2\n3\n4\n5\n";
        let planned = plan(
            input,
            3,
            ChunkLimits {
                max_lines: 2,
                max_bytes: u64::MAX,
                max_line_bytes: u64::MAX,
            },
        );
        let ranges: Vec<(u64, u64, u64)> = planned
            .chunks
            .iter()
            .map(|c| (c.start_offset, c.end_offset, c.first_line))
            .collect();
        assert_eq!(ranges, [(0, 4, 0), (4, 8, 2), (8, 10, 4)]);
        assert_eq!(planned.non_blank_lines, 5);
    }

    #[test]
    fn an_oversized_line_gets_a_chunk_of_its_own() {
        let input = b"{\"a\":1}\n\n{\"long\":\"xxxxxxxxxxxxxxxx\"}\n{\"a\":3}\n";
        let limits = ChunkLimits {
            max_lines: 10,
            max_bytes: u64::MAX,
            max_line_bytes: 12,
        };
        let planned = plan(input, 5, limits);
        let chunks: Vec<(u64, u64, u64, bool)> = planned
            .chunks
            .iter()
            .map(|c| (c.start_offset, c.end_offset, c.first_line, c.oversized))
            .collect();
        assert_eq!(
            chunks,
            [(0, 9, 0, false), (9, 37, 2, true), (37, 45, 3, false)]
        );
        assert_eq!(planned.non_blank_lines, 3);
    }

    proptest! {
        /// However the input arrives and whatever the limits, the chunks tile the input, and
        /// walking the chunks yields exactly the lines (and numbers) of walking the whole input;
        /// each line over the line limit is alone in an oversized chunk.
        #[test]
        fn chunks_preserve_every_line_exactly_once(
            rows in proptest::collection::vec(prop_oneof![Just(String::new()), Just(" ".to_owned()), "[a-z{}:\"0-9]{1,12}"], 0..60),
            trailing_newline in any::<bool>(),
            piece in 1usize..17,
            max_lines in 1u64..7,
            max_bytes in 1u64..64,
            max_line_bytes in 4u64..16,
        ) {
            let mut input = rows.join("\n").into_bytes();
            if trailing_newline && !input.is_empty() {
                input.push(b'\n');
            }
            let planned = plan(&input, piece, ChunkLimits { max_lines, max_bytes, max_line_bytes });
            let whole = all_lines(&input);
            let mut expected_start = 0;
            let mut from_chunks = Vec::new();
            for chunk in &planned.chunks {
                prop_assert_eq!(chunk.start_offset, expected_start);
                expected_start = chunk.end_offset;
                let bytes = &input[chunk.start_offset as usize..chunk.end_offset as usize];
                if chunk.oversized {
                    let texts: Vec<_> = lines(bytes, 0).map(|l| l.text.to_vec()).collect();
                    prop_assert_eq!(texts.len(), 1);
                    let line = whole.iter().find(|(number, _)| *number == chunk.first_line).unwrap();
                    prop_assert_eq!(&line.1, &texts[0]);
                    prop_assert!(line.1.len() as u64 + 1 > max_line_bytes);
                    from_chunks.push(line.clone());
                    continue;
                }
                let chunk_lines: Vec<_> = lines(bytes, chunk.first_line).map(|l| (l.number, l.text.to_vec())).collect();
                prop_assert!(!chunk_lines.is_empty());
                prop_assert!(chunk_lines.len() as u64 <= max_lines);
                prop_assert!(chunk_lines.iter().all(|(_, text)| text.len() as u64 <= max_line_bytes));
                from_chunks.extend(chunk_lines);
            }
            prop_assert_eq!(planned.non_blank_lines, whole.len() as u64);
            prop_assert_eq!(from_chunks, whole);
            // Only trailing blank lines may lie past the last chunk.
            prop_assert!(input[expected_start as usize..].iter().all(|b| b.is_ascii_whitespace()));
        }
    }
}
