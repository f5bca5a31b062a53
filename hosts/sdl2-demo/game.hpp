// The demo's "game": a skyline at dusk scrolling left and a bouncing ball, drawn with scissored
// clears. It has a clock of its own that runs only while the game is not paused (the overlay's
// activated callback pauses it), and its animations stay the same after any length of play.
#pragma once

#include <cmath>
#include <cstdint>

namespace demo {

constexpr int kWidth = 1280;
constexpr int kHeight = 720;

// The skyline: kBuildings buildings kBuildingStep apart scroll left at kScrollSpeed px/s over a
// strip kSkylinePeriod wide (wider than the screen: they re-enter on the right).
constexpr int kBuildings = 24;
constexpr double kBuildingStep = 90.0;
constexpr double kSkylinePeriod = kBuildings * kBuildingStep;  // 2160 px
constexpr double kScrollSpeed = 60.0;                          // px per second of game time
constexpr double kSecondsPerFrame = 0.02;                      // the game steps once a frame

// x modulo period, in [0, period) for any x (std::fmod keeps the sign of x).
inline double wrap(double x, double period) {
    const double r = std::fmod(x, period);
    return r < 0.0 ? (r + period >= period ? 0.0 : r + period) : r;
}

// The left edge of building i at game time t (seconds): in [-kBuildingStep,
// kSkylinePeriod - kBuildingStep) for any t >= 0 or t < 0.
inline double building_x(int i, double t) {
    return wrap(static_cast<double>(i) * kBuildingStep - t * kScrollSpeed, kSkylinePeriod) -
           kBuildingStep;
}

class Game {
  public:
    // Paused, the clock stands still and the ball is drawn dimmed.
    void set_paused(bool paused) { paused_ = paused; }
    bool paused() const { return paused_; }
    // One frame of game time, unless paused.
    void advance() {
        if (!paused_) ++frames_;
    }
    // Frames the game has run (not counting paused ones): the game's clock.
    std::uint64_t frames() const { return frames_; }
    void set_frames(std::uint64_t frames) { frames_ = frames; }
    // Game time in seconds. A double: exact enough for sin and the skyline's wrap for
    // millennia of play at 60 frames a second.
    double seconds() const { return static_cast<double>(frames_) * kSecondsPerFrame; }
    // Draws the scene into the current GL framebuffer (kWidth x kHeight).
    void draw() const;

  private:
    std::uint64_t frames_ = 0;
    bool paused_ = false;
};

}  // namespace demo
