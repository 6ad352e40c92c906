//! Makes an [`Announcement`] heard: its tone, synthesized here, then optionally its spoken
//! prompt, embedded from `assets/voice/` (made by `assets/voice/generate.sh`). Both become one
//! 16 kHz clip played by one `aplay`, so two sounds never overlap, and a new announcement cuts
//! off the one still playing, so the gate never speaks about a rider who has already gone.

use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};

use xiaoge_pass::ReasonCode;

use super::announce::{Announcement, Prompt, Tone, Volume};
use crate::i18n::Lang;

/// Samples per second of everything played: the rate `generate.sh` writes the prompts at.
const RATE: u32 = 16_000;

/// Silence between the tone and the prompt, and between a prompt's parts.
const PAUSE_MS: u32 = 120;

/// Plays announcements through `aplay` when the system has it.
pub(super) struct Sounds {
    /// Where each clip is written for `aplay`; without a temporary folder, no sound.
    dir: Option<tempfile::TempDir>,
    /// The `aplay` of the last announcement, stopped by the next one. A process that ended
    /// on its own waits here to be reaped until then.
    playing: Mutex<Option<Child>>,
}

impl Sounds {
    /// Sounds written to a new temporary folder; without one, the kiosk is silent.
    pub(super) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().ok(),
            playing: Mutex::new(None),
        }
    }

    /// Plays `announcement`'s tone and, with `voice`, its prompt in `lang`, at `volume`,
    /// without waiting; whatever is still playing stops first. Volume 0 plays nothing.
    pub(super) fn announce(
        &self,
        announcement: Announcement,
        lang: Lang,
        volume: Volume,
        voice: bool,
    ) {
        // A panic elsewhere while holding the lock leaves nothing half-done here: at worst a
        // process to stop.
        let mut playing = self.playing.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mut child) = playing.take() {
            // Killing a process that already ended fails harmlessly; the wait reaps it.
            let _ = child.kill();
            let _ = child.wait();
        }
        let Some(dir) = &self.dir else {
            return;
        };
        if volume.percent() == 0 {
            return;
        }
        let file = dir.path().join("announcement.wav");
        let samples = clip(announcement, lang, volume, voice);
        if std::fs::write(&file, wav_bytes(&samples)).is_err() {
            return;
        }
        // A missing player or sound card must never stop the kiosk: the verdict is on screen.
        *playing = Command::new("aplay")
            .arg("-q")
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
    }
}

/// `announcement` as samples at `volume`: the tone, then with `voice` a pause and the prompt.
fn clip(announcement: Announcement, lang: Lang, volume: Volume, voice: bool) -> Vec<i16> {
    let mut samples = tone(announcement.tone);
    if voice {
        samples.extend(silence(PAUSE_MS));
        samples.extend(prompt(announcement.prompt, lang));
    }
    for sample in &mut samples {
        // Within i16: the product is at most |i16::MIN| × 100, and dividing by 100 undoes it.
        *sample = (i32::from(*sample) * i32::from(volume.percent()) / 100) as i16;
    }
    samples
}

/// The samples of `prompt` in `lang`, at full scale: its parts with a pause between them.
fn prompt(prompt: Prompt, lang: Lang) -> Vec<i16> {
    let mut samples = Vec::new();
    for (i, part) in parts(prompt).into_iter().enumerate() {
        // Every embedded prompt is a WAV `read_wav` takes (a test reads them all); one that
        // were not would lose its words, never the verdict's tone.
        let Ok(words) = read_wav(part.in_lang(lang)) else {
            continue;
        };
        if i > 0 {
            samples.extend(silence(PAUSE_MS));
        }
        samples.extend(words);
    }
    samples
}

/// One spoken clip, as `generate.sh` wrote it in each language.
#[derive(Clone, Copy)]
struct Voice {
    /// 中文.
    zh: &'static [u8],
    /// English.
    en: &'static [u8],
}

impl Voice {
    /// The clip in `lang`.
    fn in_lang(self, lang: Lang) -> &'static [u8] {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// The embedded clip `assets/voice/{zh,en}/<key>.wav`.
macro_rules! voice {
    ($key:literal) => {
        Voice {
            zh: include_bytes!(concat!("../../../assets/voice/zh/", $key, ".wav")),
            en: include_bytes!(concat!("../../../assets/voice/en/", $key, ".wav")),
        }
    };
}

/// What is said for `prompt`, in order. A refusal is "禁止通行" and then its reason, so the
/// common words are stored once rather than once per reason.
fn parts(prompt: Prompt) -> Vec<Voice> {
    match prompt {
        Prompt::Allow => vec![voice!("allow")],
        Prompt::Attention => vec![voice!("attention")],
        Prompt::NotAPass => vec![voice!("not_a_pass")],
        Prompt::Deny(reason) => vec![voice!("deny"), reason_voice(reason)],
    }
}

/// The spoken reason, in `prompts.tsv` under the reason's `as_str` key.
fn reason_voice(reason: ReasonCode) -> Voice {
    match reason {
        ReasonCode::Malformed => voice!("malformed"),
        ReasonCode::UnsupportedVersion => voice!("unsupported_version"),
        ReasonCode::UnknownKey => voice!("unknown_key"),
        ReasonCode::BadSignature => voice!("bad_signature"),
        ReasonCode::ClockUntrusted => voice!("clock_untrusted"),
        ReasonCode::KeyNotValidAtTime => voice!("key_not_valid_at_time"),
        ReasonCode::Expired => voice!("expired"),
        ReasonCode::NotYetValid => voice!("not_yet_valid"),
        ReasonCode::ListsTooStale => voice!("lists_too_stale"),
        ReasonCode::Revoked => voice!("revoked"),
        ReasonCode::Suspended => voice!("suspended"),
        ReasonCode::StatusUnknown => voice!("status_unknown"),
        ReasonCode::BansUnverifiable => voice!("bans_unverifiable"),
        ReasonCode::BannedAtSite => voice!("banned_at_site"),
        ReasonCode::WrongSite => voice!("wrong_site"),
        ReasonCode::Replayed => voice!("replayed"),
    }
}

/// `tone` at full scale. Each is told apart by its shape as well as its pitch, for a guard
/// who is not looking and a rider who does not know which pitch means what.
fn tone(tone: Tone) -> Vec<i16> {
    match tone {
        // One short, bright "滴", a little below the others: it is heard a hundred times a day.
        Tone::Allow => pcm(&note(1760.0, 150, &[(1.0, 1.0), (2.0, 0.15)], 0.05), 0.8),
        // Three hard bursts near full scale. 880 Hz with odd harmonics (a rounded square
        // wave) carries on a tablet's small speaker, where the old 330 Hz barely did.
        Tone::Deny => {
            let burst = || note(880.0, 150, &[(1.0, 1.0), (3.0, 1.0 / 3.0), (5.0, 0.2)], 1.0);
            let gap = || vec![0.0; samples_in(75)];
            pcm(&[burst(), gap(), burst(), gap(), burst()].concat(), 0.98)
        }
        // A rising two-note chime (660 → 880 Hz, a fourth), ringing out like a bell: a
        // question for the guard, neither the "滴" nor the alarm.
        Tone::Attention => {
            let bell = [(1.0, 1.0), (2.0, 0.3)];
            pcm(
                &[note(660.0, 220, &bell, 0.15), note(880.0, 380, &bell, 0.15)].concat(),
                0.85,
            )
        }
    }
}

/// `ms` of a note at `hz` made of `partials` (multiple of `hz`, relative amplitude), fading
/// with time constant `decay_s` (large for a steady note), with 4 ms ramps at both ends so the
/// speaker does not click.
fn note(hz: f32, ms: u32, partials: &[(f32, f32)], decay_s: f32) -> Vec<f32> {
    let n = samples_in(ms);
    let ramp = RATE as f32 * 0.004;
    (0..n)
        .map(|i| {
            let t = i as f32 / RATE as f32;
            let edges = (i as f32 / ramp).min((n - i) as f32 / ramp).min(1.0);
            let wave: f32 = partials
                .iter()
                .map(|(k, a)| a * (std::f32::consts::TAU * hz * k * t).sin())
                .sum();
            edges * (-t / decay_s).exp() * wave
        })
        .collect()
}

/// `wave` as 16-bit samples whose loudest is `peak` of full scale.
fn pcm(wave: &[f32], peak: f32) -> Vec<i16> {
    let loudest = wave.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let gain = if loudest > 0.0 {
        peak * f32::from(i16::MAX) / loudest
    } else {
        0.0
    };
    // `as` saturates, and the gain keeps every sample within ±peak of full scale anyway.
    wave.iter().map(|s| (s * gain).round() as i16).collect()
}

/// `ms` of silence.
fn silence(ms: u32) -> Vec<i16> {
    vec![0; samples_in(ms)]
}

/// How many samples last `ms`.
fn samples_in(ms: u32) -> usize {
    (RATE * ms / 1000) as usize
}

/// Why an embedded WAV cannot be played.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum WavError {
    /// No RIFF/WAVE header.
    #[error("not a WAV file: no RIFF/WAVE header")]
    NotWave,
    /// A chunk claims more bytes than the file has.
    #[error("WAV chunk {id:?} claims {len} bytes, more than the file holds")]
    Truncated {
        /// The chunk's four-letter id.
        id: String,
        /// The length it claims.
        len: u32,
    },
    /// A chunk every WAV needs is absent.
    #[error("WAV has no {0:?} chunk")]
    Missing(&'static str),
    /// Samples the kiosk does not play.
    #[error(
        "WAV is format {format}, {channels} channel(s), {rate} Hz, {bits}-bit: the kiosk plays \
         PCM (1), 1 channel, {RATE} Hz, 16-bit"
    )]
    Unsupported {
        /// The format tag (1 is PCM).
        format: u16,
        /// Channels.
        channels: u16,
        /// Samples per second.
        rate: u32,
        /// Bits per sample.
        bits: u16,
    },
}

/// The samples of a 16 kHz mono 16-bit PCM WAV. Only that form is read: `generate.sh` writes
/// it, so the prompts join the tones with no resampling.
fn read_wav(bytes: &[u8]) -> Result<Vec<i16>, WavError> {
    let (Some(b"RIFF"), Some(b"WAVE"), Some(mut rest)) =
        (bytes.get(..4), bytes.get(8..12), bytes.get(12..))
    else {
        return Err(WavError::NotWave);
    };
    let (mut format, mut data) = (None, None);
    while let (Some(id), Some(len)) = (rest.get(..4), rest.get(4..8)) {
        let len = u32::from_le_bytes([len[0], len[1], len[2], len[3]]);
        let body = rest
            .get(8..)
            .and_then(|r| r.get(..len as usize))
            .ok_or_else(|| WavError::Truncated {
                id: String::from_utf8_lossy(id).into_owned(),
                len,
            })?;
        match id {
            b"fmt " => format = Some(body),
            b"data" => data = Some(body),
            _ => {}
        }
        // Chunks are padded to an even length.
        rest = rest
            .get(8 + len as usize + (len as usize & 1)..)
            .unwrap_or(&[]);
    }
    let format = format.ok_or(WavError::Missing("fmt "))?;
    let data = data.ok_or(WavError::Missing("data"))?;
    let field16 = |at: usize| {
        format
            .get(at..at + 2)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
    };
    let rate = format
        .get(4..8)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (tag, channels, bits) = (field16(0), field16(2), field16(14));
    if (tag, channels, rate, bits) != (1, 1, RATE, 16) {
        return Err(WavError::Unsupported {
            format: tag,
            channels,
            rate,
            bits,
        });
    }
    Ok(data
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect())
}

/// `samples` as a 16 kHz mono 16-bit PCM WAV, the form `aplay` and [`read_wav`] read.
fn wav_bytes(samples: &[i16]) -> Vec<u8> {
    // A clip is a few seconds long, far below the 4 GiB a WAV's lengths can count.
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // bytes per second
    out.extend_from_slice(&2u16.to_le_bytes()); // bytes per frame
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for sample in samples {
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    // Test code: a failed expectation should stop the test where it happened.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    const LANGS: [Lang; 2] = [Lang::Zh, Lang::En];

    /// Every prompt the model can ask for.
    fn every_prompt() -> Vec<Prompt> {
        let mut prompts = vec![Prompt::Allow, Prompt::Attention, Prompt::NotAPass];
        prompts.extend(ReasonCode::ALL.map(Prompt::Deny));
        prompts
    }

    /// The frequency that dominates `samples`, from the zero crossings of its sounding part
    /// (exact zeros are the gaps between bursts).
    fn hz(samples: &[i16]) -> f32 {
        let sounding: Vec<i16> = samples.iter().copied().filter(|&s| s != 0).collect();
        let crossings = sounding
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        crossings as f32 / 2.0 / (sounding.len() as f32 / RATE as f32)
    }

    fn peak(samples: &[i16]) -> i32 {
        samples
            .iter()
            .map(|&s| i32::from(s).abs())
            .max()
            .unwrap_or(0)
    }

    fn seconds(samples: &[i16]) -> f32 {
        samples.len() as f32 / RATE as f32
    }

    #[test]
    fn the_deny_tone_is_high_loud_and_about_six_tenths_of_a_second() {
        let deny = tone(Tone::Deny);
        assert!(hz(&deny) >= 700.0, "deny at {} Hz", hz(&deny));
        let full = clip(
            Announcement {
                tone: Tone::Deny,
                prompt: Prompt::NotAPass,
            },
            Lang::Zh,
            Volume::MAX,
            false,
        );
        assert!(
            peak(&full) as f32 >= 0.9 * f32::from(i16::MAX),
            "{}",
            peak(&full)
        );
        assert!(
            (0.55..=0.65).contains(&seconds(&deny)),
            "{} s",
            seconds(&deny)
        );
    }

    #[test]
    fn the_three_tones_differ_in_pitch_and_shape() {
        let allow = tone(Tone::Allow);
        assert!((1000.0..=2000.0).contains(&hz(&allow)), "{} Hz", hz(&allow));
        assert!(
            seconds(&allow) <= 0.2,
            "a 滴 is short: {} s",
            seconds(&allow)
        );

        // The chime rises: its second note is higher than its first.
        let attention = tone(Tone::Attention);
        let (first, second) = attention.split_at(samples_in(220));
        assert!((600.0..=720.0).contains(&hz(first)), "{} Hz", hz(first));
        assert!((820.0..=940.0).contains(&hz(second)), "{} Hz", hz(second));

        // The deny tone is the only one with silences inside it: three bursts, two gaps.
        // (A lone zero sample is a zero crossing, not a gap.)
        let gaps = |s: &[i16]| {
            s.split(|&x| x != 0)
                .filter(|zeros| zeros.len() >= samples_in(20))
                .count()
        };
        assert_eq!(gaps(&tone(Tone::Deny)), 2);
        assert_eq!(gaps(&allow) + gaps(&attention), 0);
    }

    #[test]
    fn volume_scales_every_sample_and_zero_is_silent() {
        let announcement = Announcement {
            tone: Tone::Deny,
            prompt: Prompt::Deny(ReasonCode::Expired),
        };
        let full = clip(announcement, Lang::Zh, Volume::MAX, true);
        let half = clip(announcement, Lang::Zh, Volume::new(50), true);
        assert_eq!(full.len(), half.len());
        assert!((peak(&half) - peak(&full) / 2).abs() <= 1);
        let quiet = clip(announcement, Lang::Zh, Volume::new(0), true);
        assert!(quiet.iter().all(|&s| s == 0));
    }

    #[test]
    fn a_clip_is_its_tone_a_pause_and_its_prompt() {
        for prompt_asked in every_prompt() {
            for lang in LANGS {
                let announcement = Announcement {
                    tone: Tone::Attention,
                    prompt: prompt_asked,
                };
                let spoken = prompt(prompt_asked, lang);
                let chime = tone(Tone::Attention);
                let voiced = clip(announcement, lang, Volume::MAX, true);
                assert_eq!(
                    voiced.len(),
                    chime.len() + samples_in(PAUSE_MS) + spoken.len()
                );
                assert_eq!(clip(announcement, lang, Volume::MAX, false), chime);
            }
        }
    }

    #[test]
    fn every_prompt_in_both_languages_is_embedded_parses_and_is_short() {
        for prompt_asked in every_prompt() {
            for lang in LANGS {
                for part in parts(prompt_asked) {
                    let words = read_wav(part.in_lang(lang)).unwrap();
                    assert!(peak(&words) > 0, "{prompt_asked:?} in {lang:?} is silent");
                }
                let spoken = prompt(prompt_asked, lang);
                // A rider is walking: anything longer is still talking at the next one.
                assert!(
                    (0.3..=2.5).contains(&seconds(&spoken)),
                    "{prompt_asked:?} in {lang:?} lasts {} s",
                    seconds(&spoken)
                );
            }
        }
    }

    #[test]
    fn the_table_the_files_and_the_code_agree() {
        let voice_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/voice");
        let table = std::fs::read_to_string(voice_dir.join("prompts.tsv")).unwrap();
        let keys: Vec<&str> = table
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| l.split('\t').next().unwrap())
            .collect();
        let mut expected = vec!["allow", "attention", "not_a_pass", "deny"];
        expected.extend(ReasonCode::ALL.map(ReasonCode::as_str));
        assert_eq!(keys, expected);

        for (lang, folder) in [(Lang::Zh, "zh"), (Lang::En, "en")] {
            let mut files: Vec<String> = std::fs::read_dir(voice_dir.join(folder))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let mut named: Vec<String> = expected.iter().map(|k| format!("{k}.wav")).collect();
            named.sort();
            assert_eq!(
                files, named,
                "{folder}/ holds a clip the table does not name"
            );

            // Each reason says its own words, not a neighbour's.
            for reason in ReasonCode::ALL {
                let file = voice_dir.join(format!("{folder}/{}.wav", reason.as_str()));
                assert_eq!(
                    reason_voice(reason).in_lang(lang),
                    std::fs::read(file).unwrap(),
                    "{reason:?}"
                );
            }
        }
    }

    #[test]
    fn wav_bytes_read_back_and_other_wavs_are_refused_by_name() {
        let samples = [0, 1, -1, i16::MAX, i16::MIN, 1234];
        assert_eq!(read_wav(&wav_bytes(&samples)).unwrap(), samples);

        assert_eq!(read_wav(b"not a wav"), Err(WavError::NotWave));
        let mut stereo = wav_bytes(&samples);
        stereo[22] = 2;
        let err = read_wav(&stereo).unwrap_err();
        assert!(err.to_string().contains("2 channel(s)"), "{err}");
        let mut fast = wav_bytes(&samples);
        fast[24..28].copy_from_slice(&22_050u32.to_le_bytes());
        assert!(
            read_wav(&fast)
                .unwrap_err()
                .to_string()
                .contains("22050 Hz")
        );
        let mut cut = wav_bytes(&samples);
        cut.truncate(50);
        assert_eq!(
            read_wav(&cut),
            Err(WavError::Truncated {
                id: "data".into(),
                len: 12
            })
        );
        assert_eq!(
            read_wav(&wav_bytes(&samples)[..36]),
            Err(WavError::Missing("data"))
        );
    }
}
