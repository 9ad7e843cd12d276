/*
 * Keeps the sound libraries' own diagnostics off the terminal.
 *
 * Probing devices through cpal makes ALSA try every PCM its configuration defines (card 0, OSS,
 * PulseAudio, JACK...), and each one that has nothing behind it prints "ALSA lib ..." to stderr;
 * ALSA's JACK plugin loads libjack, which prints "jack server is not running" and more. Tandem
 * reports what matters itself (no microphone, a device that failed to open), from the errors
 * these calls return, so the libraries' messages are dropped.
 *
 * ALSA's handler is variadic, which Rust cannot define, hence this file. Both libraries are
 * reached with dlopen/dlsym: ALSA is already loaded (cpal links it), and libjack, when it is
 * installed, is loaded here so that the plugin's later dlopen finds this same, silenced copy.
 */
#include <dlfcn.h>
#include <stddef.h>

typedef void (*alsa_error_handler)(const char *file, int line, const char *function, int err,
                                   const char *fmt, ...);
typedef int (*alsa_set_handler)(alsa_error_handler handler);
typedef void (*jack_message_fn)(const char *msg);
typedef void (*jack_set_fn)(jack_message_fn fn);

static void drop_alsa_message(const char *file, int line, const char *function, int err,
                              const char *fmt, ...) {
    (void)file;
    (void)line;
    (void)function;
    (void)err;
    (void)fmt;
}

static void drop_jack_message(const char *msg) { (void)msg; }

/* Returns a bit set: 1 if ALSA's messages are now dropped, 2 if libjack's are. */
int tandem_quiet_audio_libraries(void) {
    int done = 0;
    void *alsa = dlopen("libasound.so.2", RTLD_LAZY | RTLD_GLOBAL);
    if (alsa != NULL) {
        alsa_set_handler set = (alsa_set_handler)dlsym(alsa, "snd_lib_error_set_handler");
        if (set != NULL && set(drop_alsa_message) == 0) {
            done |= 1;
        }
    }
    void *jack = dlopen("libjack.so.0", RTLD_LAZY | RTLD_GLOBAL);
    if (jack != NULL) {
        jack_set_fn set_error = (jack_set_fn)dlsym(jack, "jack_set_error_function");
        jack_set_fn set_info = (jack_set_fn)dlsym(jack, "jack_set_info_function");
        if (set_error != NULL && set_info != NULL) {
            set_error(drop_jack_message);
            set_info(drop_jack_message);
            done |= 2;
        }
    }
    /* The handles stay open: the settings live in the loaded libraries. */
    return done;
}
