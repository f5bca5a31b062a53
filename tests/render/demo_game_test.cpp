// The demo game's pure parts (hosts/sdl2-demo/game.hpp): the skyline's positions stay on their
// strip for any clock, and the clock stands still while the game is paused.
#include <gtest/gtest.h>

#include <cstdint>

#include "game.hpp"

namespace {

using demo::building_x;
using demo::kBuildings;
using demo::kBuildingStep;
using demo::kSecondsPerFrame;
using demo::kSkylinePeriod;
using demo::kWidth;

// Clocks from the start to a year of play at 60 Hz, and the ~3,500 frames where the old
// fmod(i*90 - t*60 + 2160, 2160) went negative and the skyline left the screen for good.
constexpr std::uint64_t kFrames[] = {0,      1,         1799,       1800,        3500,         3601,
                                     10'000, 1'000'000, 31'557'600, 100'000'000, 1'892'160'000};

TEST(DemoGame, WrapStaysInItsPeriodForAnyValue) {
    for (const double x : {-1e12, -4321.5, -2160.0, -1e-13, 0.0, 1e-13, 2159.999, 2160.0, 1e12}) {
        EXPECT_GE(demo::wrap(x, 2160.0), 0.0) << x;
        EXPECT_LT(demo::wrap(x, 2160.0), 2160.0) << x;
    }
}

TEST(DemoGame, BuildingsStayOnTheirStripForAnyClock) {
    for (const std::uint64_t f : kFrames) {
        const double t = static_cast<double>(f) * kSecondsPerFrame;
        int on_screen = 0;
        for (int i = 0; i < kBuildings; ++i) {
            const double x = building_x(i, t);
            EXPECT_GE(x, -kBuildingStep) << "building " << i << " at frame " << f;
            EXPECT_LT(x, kSkylinePeriod - kBuildingStep) << "building " << i << " at frame " << f;
            if (x + 70.0 > 0.0 && x < kWidth) ++on_screen;
        }
        // 1280 px of a 2160 px strip holding a building every 90 px.
        EXPECT_GE(on_screen, 14) << "frame " << f;
    }
}

TEST(DemoGame, BuildingsKeepTheirSpacing) {
    // One frame apart, a building moves 1.2 px left (or wraps): the scene scrolls, never jumps.
    for (const std::uint64_t f : kFrames) {
        const double t0 = static_cast<double>(f) * kSecondsPerFrame;
        const double t1 = static_cast<double>(f + 1) * kSecondsPerFrame;
        for (int i = 0; i < kBuildings; ++i) {
            double d = building_x(i, t0) - building_x(i, t1);
            if (d < 0) d += kSkylinePeriod;
            EXPECT_NEAR(d, 1.2, 1e-3) << "building " << i << " at frame " << f;
        }
    }
}

TEST(DemoGame, TheClockStandsStillWhilePaused) {
    demo::Game game;
    game.advance();
    game.advance();
    EXPECT_EQ(game.frames(), 2u);
    game.set_paused(true);
    for (int i = 0; i < 100; ++i)
        game.advance();
    EXPECT_EQ(game.frames(), 2u);
    game.set_paused(false);
    game.advance();
    EXPECT_EQ(game.frames(), 3u);
    EXPECT_DOUBLE_EQ(game.seconds(), 3 * kSecondsPerFrame);
}

}  // namespace
